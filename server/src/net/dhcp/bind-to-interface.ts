import type { Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { setsockopt } from 'sockopt';
import { RackcastError } from '../../errors.js';
import { socketDescriptor } from '../socket-descriptor.js';

/*
 * Receiving DHCP broadcasts on one interface only. Node's dgram has no SO_BINDTODEVICE or
 * IP_PKTINFO, and a socket bound to the interface's address sees no broadcast DISCOVER
 * (Linux delivers 255.255.255.255 only to sockets bound to 0.0.0.0; research/deps.md §1).
 * So the socket binds 0.0.0.0:67 and is then tied to the interface with SO_BINDTOIFINDEX
 * (Linux >= 5.0, an integer option) through the small `sockopt` N-API package. Tied to the
 * device, the socket (a) receives only what arrives on it and (b) sends limited broadcasts out
 * of it with that interface's address, with no route for 255.255.255.255 needed. Both were
 * tested in a namespace with two interfaces (test/dhcp-interop.test.ts).
 * NOTE: Linux only, and it reads the descriptor through Node's internal socket state (the
 * public `_handle` getter prints a deprecation warning). A Node version that changes that
 * fails loudly here, at start-up, never silently serving every interface.
 */

const SOL_SOCKET = 1;
const SO_BINDTOIFINDEX = 62;

/** The kernel index of a network interface, from sysfs. */
export function interfaceIndex(name: string): number {
  if (!/^[\w.:@-]{1,15}$/.test(name)) {
    throw new RackcastError('RC_ERR_DHCP_INTERFACE', `config key boot.interface: "${name}" is not an interface name`, { iface: name });
  }
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch (err) {
    throw new RackcastError('RC_ERR_DHCP_INTERFACE', `config key boot.interface: no network interface named "${name}" on this host`, { iface: name }, { cause: err });
  }
}

/** The file descriptor of a bound dgram socket. */
function socketFd(socket: Socket): number {
  const fd = socketDescriptor(socket);
  if (fd === null) {
    throw new RackcastError('RC_ERR_DHCP_INTERFACE', 'cannot reach the DHCP socket\'s descriptor on this Node version, so DHCP cannot be limited to boot.interface', {});
  }
  return fd;
}

/** Ties a bound socket to one interface: it receives and broadcasts only there. */
export function bindToInterface(socket: Socket, name: string): void {
  const index = interfaceIndex(name);
  try {
    setsockopt({ _handle: { fd: socketFd(socket) } }, SOL_SOCKET, SO_BINDTOIFINDEX, index);
  } catch (err) {
    if (err instanceof RackcastError) throw err;
    throw new RackcastError('RC_ERR_DHCP_INTERFACE', `cannot bind DHCP to interface "${name}" (needs Linux 5.0 or later; before 5.7 also CAP_NET_RAW): ${(err as Error).message}`, { iface: name }, { cause: err });
  }
}
