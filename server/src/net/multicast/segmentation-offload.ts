import { createSocket, type Socket } from 'node:dgram';
import { setsockopt } from 'sockopt';
import { socketDescriptor } from '../socket-descriptor.js';

/*
 * UDP segmentation offload (UDP_SEGMENT, Linux >= 4.18): one send of up to 64 KiB of equal
 * datagrams travels the stack, the bridge and the veth or NIC queue as one packet and is cut
 * into datagrams as late as possible: by the NIC (USO), by the driver, or not at all when the
 * receiver asks for UDP_GRO. The sender's per-datagram cost (a system call, a socket buffer,
 * routing, every bridge port's copy) becomes a per-64-KiB cost. The wire carries the same
 * Ethernet frames. Node's dgram has no such option; `sockopt` sets it on the descriptor.
 */

const SOL_UDP = 17;
const UDP_SEGMENT = 103;
/** Segments Linux takes in one send (UDP_MAX_SEGMENTS: 64 until 6.10, 128 since). */
const MAX_SEGMENTS = 64;
/** The largest UDP payload an IPv4 packet carries. */
const MAX_UDP_PAYLOAD = 65507;

/** Datagrams of `datagramSize` bytes one segmented send may carry. */
export function segmentsPerSend(datagramSize: number): number {
  return Math.max(1, Math.min(MAX_SEGMENTS, Math.floor(MAX_UDP_PAYLOAD / datagramSize)));
}

/** Makes every send on `socket` longer than `size` go out as `size`-byte datagrams. */
export function setSegmentSize(socket: Socket, size: number): void {
  const fd = socketDescriptor(socket);
  if (fd === null) throw new Error('this Node version does not expose the socket\'s descriptor');
  setsockopt({ _handle: { fd } }, SOL_UDP, UDP_SEGMENT, size);
}

/** The discard port: the probe's destination, where no receiver listens. */
const DISCARD_PORT = 9;

export interface OffloadProbe {
  readonly group: string;
  readonly interfaceAddress: string;
  readonly datagramSize: number;
}

/**
 * Whether a segmented send to the group works from this interface: null if it does, else why
 * not. The kernel refuses one (EIO) when the device cannot finish checksums, and (EINVAL) when
 * a datagram plus headers exceeds the interface's MTU. The probe sends two datagrams' worth
 * to the group's discard port with TTL 0 and loopback off: on a network interface the kernel
 * drops it after those checks, before the wire; on the loopback interface (tests) it is
 * delivered, to a port no receiver binds.
 */
export async function probeSegmentOffload(p: OffloadProbe): Promise<string | null> {
  const socket = createSocket({ type: 'udp4' });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, p.interfaceAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.setMulticastInterface(p.interfaceAddress);
    socket.setMulticastTTL(0);
    socket.setMulticastLoopback(false);
    setSegmentSize(socket, p.datagramSize);
    await new Promise<void>((resolve, reject) => {
      socket.send(Buffer.alloc(p.datagramSize * 2), DISCARD_PORT, p.group, (err) => (err ? reject(err) : resolve()));
    });
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    socket.close();
  }
}
