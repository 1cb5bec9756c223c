import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  BootpOp, DhcpMessageType, LIMITED_BROADCAST, DHCP_CLIENT_PORT, decodeDhcpPacket, describeBootClient, encodeDhcpPacket,
  hardwareAddress, isWireError, readMessageType, routeReply, type BootClientInfo, type DhcpPacket, type ReplyRoute,
} from '@rackcast/wire';
import { RackcastError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { bindToInterface } from './bind-to-interface.js';
import { addBootAnswer, replyTo, type BootReplyShape, type DhcpBootAnswer } from './dhcp-reply.js';
import { FullDhcp } from './full-dhcp.js';
import { LeasePool, type DhcpLeaseStore, type DhcpRange } from './lease-pool.js';

/*
 * Rackcast's DHCP server: ProxyDHCP by default (answers only PXE / HTTP-boot / iPXE clients,
 * never hands out addresses, so it coexists with the site's DHCP server), full DHCP on an
 * isolated imaging network. Ours, not the `dhcp` npm package: that one throws on the first
 * DISCOVER from a real iPXE ROM, ACKs REQUESTs meant for other servers, cannot do ProxyDHCP
 * and slows quadratically with many clients (research/deps.md §1). Transport only: what a
 * machine boots is decided by the injected `decideBoot` (boot/boot-policy.ts).
 *
 * A bad packet costs one log line and is dropped; the server keeps serving. A dead socket
 * rejects `serving`, and the caller (main) decides what happens next.
 */

/** What the boot policy is asked (declared here, implemented by boot/). */
export interface DhcpBootQuery {
  /** Lowercase colon MAC, e.g. "52:54:00:12:34:56". */
  readonly mac: string;
  readonly client: BootClientInfo;
}

/** The policy's answer: boot information, or none and why (logged at debug). */
export type DhcpBootVerdict =
  | { readonly answer: DhcpBootAnswer; readonly reason?: undefined }
  | { readonly answer: null; readonly reason: string };

export interface DhcpServerOptions {
  /** proxy: boot information only, no addresses; full: addresses from `range` too. */
  readonly mode: 'proxy' | 'full';
  /** Interface to serve on (receive and broadcast only there); null: every interface (tests). */
  readonly interfaceName: string | null;
  /** This server's address on the boot network: server identifier and next-server. Example: 10.0.0.1 */
  readonly serverAddress: string;
  /** DHCP port, 67; 0 picks one (tests). */
  readonly port: number;
  /** ProxyDHCP / PXE boot-server port, 4011; 0 picks one (tests). */
  readonly proxyPort: number;
  /** Full mode: the range and where leases are kept. */
  readonly range?: DhcpRange;
  readonly leases?: DhcpLeaseStore;
  readonly decideBoot: (query: DhcpBootQuery) => Promise<DhcpBootVerdict>;
  readonly log: Logger;
  /** Clock for lease times (tests). */
  readonly now?: () => number;
  /** Told of every datagram handled, for the server's metrics. */
  readonly onRequest?: (type: DhcpRequestType, outcome: DhcpRequestOutcome) => void;
}

/** The DHCP message type of a request, by name; "none" when the packet carries no option 53. */
export type DhcpRequestType = 'discover' | 'request' | 'decline' | 'release' | 'inform' | 'other' | 'none';

/** answered: a reply went out; ignored: not ours to answer; malformed: undecodable; failed: our error. */
export type DhcpRequestOutcome = 'answered' | 'ignored' | 'malformed' | 'failed';

const REQUEST_TYPE_NAMES: Readonly<Record<number, DhcpRequestType>> = {
  [DhcpMessageType.Discover]: 'discover', [DhcpMessageType.Request]: 'request', [DhcpMessageType.Decline]: 'decline',
  [DhcpMessageType.Release]: 'release', [DhcpMessageType.Inform]: 'inform',
};

function requestTypeName(type: number | undefined): DhcpRequestType {
  return type === undefined ? 'none' : REQUEST_TYPE_NAMES[type] ?? 'other';
}

/** A running DHCP server. */
export interface RunningDhcpServer {
  /** The bound ports (differ from the options only when those were 0). */
  readonly ports: { readonly dhcp: number; readonly proxy: number };
  /** Rejects when a socket fails; resolves after close(). */
  readonly serving: Promise<void>;
  close(): Promise<void>;
}

interface Outgoing {
  readonly packet: DhcpPacket;
  readonly route: ReplyRoute;
}

/** Binds 0.0.0.0:port (broadcasts reach only wildcard sockets), tied to the interface if named. */
async function openSocket(port: number, interfaceName: string | null): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (err) => reject(new RackcastError('RC_ERR_DHCP_BIND', `cannot listen on UDP port ${port} for DHCP (another DHCP server running, or not root?): ${err.message}`, { port }, { cause: err })));
    socket.bind(port, '0.0.0.0', () => resolve());
  });
  try {
    socket.setBroadcast(true);
    if (interfaceName !== null) bindToInterface(socket, interfaceName);
  } catch (err) {
    socket.close();
    throw err;
  }
  return socket;
}

export class DhcpServer {
  readonly #o: DhcpServerOptions;
  readonly #full: FullDhcp | null;
  readonly #log: Logger;

  constructor(options: DhcpServerOptions, pool: LeasePool | null) {
    this.#o = options;
    this.#log = options.log;
    this.#full = pool === null ? null : new FullDhcp(pool, options.serverAddress, options.log);
  }

  /** One datagram in, at most one reply out. Never throws: every failure is one log line. */
  async handle(bytes: Uint8Array, from: RemoteInfo, onProxyPort: boolean): Promise<Outgoing | null> {
    let type: number | undefined;
    try {
      const request = decodeDhcpPacket(bytes);
      type = readMessageType(request.options);
      if (request.op !== BootpOp.Request || type === undefined) {
        this.#log.debug({ ip: from.address, op: request.op }, 'dhcp: not a DHCP request, ignored');
        this.#o.onRequest?.(requestTypeName(type), 'ignored');
        return null;
      }
      const client = describeBootClient(request.options);
      const out = onProxyPort ? await this.#proxyPort(request, type, client, from) : await this.#dhcpPort(request, type, client);
      this.#o.onRequest?.(requestTypeName(type), out === null ? 'ignored' : 'answered');
      return out;
    } catch (err) {
      if (isWireError(err)) {
        this.#log.warn({ ip: from.address, port: from.port, bytes: bytes.byteLength, code: err.code, field: err.field }, 'dhcp packet dropped: malformed');
      } else {
        this.#log.error({ ip: from.address, err }, 'dhcp request failed');
      }
      this.#o.onRequest?.(requestTypeName(type), isWireError(err) ? 'malformed' : 'failed');
      return null;
    }
  }

  async #verdict(request: DhcpPacket, client: BootClientInfo): Promise<DhcpBootAnswer | null> {
    const mac = hardwareAddress(request);
    const verdict = await this.#o.decideBoot({ mac, client });
    if (verdict.answer === null) this.#log.debug({ mac, xid: request.xid, reason: verdict.reason }, 'dhcp: no boot answer');
    return verdict.answer;
  }

  async #dhcpPort(request: DhcpPacket, type: number, client: BootClientInfo): Promise<Outgoing | null> {
    if (this.#full !== null) {
      const reply = await this.#full.handle(request, type, (this.#o.now ?? Date.now)());
      if (reply === null) return null;
      // No boot answer (not a boot client, or boot.unknownMachines: ignore) still gets its
      // address: in full mode this is the network's only DHCP server.
      const answer = reply.addBoot ? await this.#verdict(request, client) : null;
      const packet = answer === null ? { ...reply.packet, options: reply.options } : addBootAnswer(reply.packet, reply.options, request, client, answer, this.#o.serverAddress, 'full');
      return { packet, route: reply.route };
    }
    // ProxyDHCP answers DISCOVERs only; REQUESTs on 67 belong to the site's DHCP server.
    if (type !== DhcpMessageType.Discover) return null;
    return this.#bootReply(request, client, DhcpMessageType.Offer, 'proxy-offer', routeReply(request));
  }

  /** Port 4011: a client with an address asks the boot server directly (PXE 2.1 §2.2.3). */
  async #proxyPort(request: DhcpPacket, type: number, client: BootClientInfo, from: RemoteInfo): Promise<Outgoing | null> {
    if (type !== DhcpMessageType.Request && type !== DhcpMessageType.Inform) return null;
    const route: ReplyRoute = from.address === '0.0.0.0'
      ? { address: LIMITED_BROADCAST, port: DHCP_CLIENT_PORT, broadcastInsteadOfUnicast: false }
      : { address: from.address, port: from.port, broadcastInsteadOfUnicast: false };
    return this.#bootReply(request, client, DhcpMessageType.Ack, 'proxy-ack', route);
  }

  async #bootReply(request: DhcpPacket, client: BootClientInfo, type: typeof DhcpMessageType.Offer | typeof DhcpMessageType.Ack, shape: BootReplyShape, route: ReplyRoute): Promise<Outgoing | null> {
    const answer = await this.#verdict(request, client);
    if (answer === null) return null;
    const ciaddr = shape === 'proxy-ack' ? request.ciaddr : '0.0.0.0';
    const { packet, options } = replyTo(request, type, this.#o.serverAddress, { ciaddr });
    return { packet: addBootAnswer(packet, options, request, client, answer, this.#o.serverAddress, shape), route };
  }
}

/** Starts the DHCP (port 67) and ProxyDHCP (port 4011) listeners. */
export async function startDhcpServer(options: DhcpServerOptions): Promise<RunningDhcpServer> {
  let pool: LeasePool | null = null;
  if (options.mode === 'full') {
    if (options.range === undefined || options.leases === undefined) throw new RackcastError('RC_ERR_CONFIG_INVALID', 'config key dhcp.mode: full DHCP needs dhcp.range and a lease store', {});
    pool = await LeasePool.open(options.range, options.leases).catch((err: unknown) => {
      throw err instanceof RangeError ? new RackcastError('RC_ERR_CONFIG_INVALID', `config key dhcp.range: ${err.message}`, {}) : err;
    });
  }
  const log = options.log.child({ iface: options.interfaceName ?? '*' });
  const server = new DhcpServer({ ...options, log }, pool);
  const dhcp = await openSocket(options.port, options.interfaceName);
  let proxy: Socket;
  try {
    proxy = await openSocket(options.proxyPort, options.interfaceName);
  } catch (err) {
    dhcp.close();
    throw err;
  }
  let closing = false;
  const serving = new Promise<void>((resolve, reject) => {
    for (const [socket, onProxyPort] of [[dhcp, false], [proxy, true]] as const) {
      socket.on('message', (bytes, from) => {
        void server.handle(bytes, from, onProxyPort).then((out) => { if (out !== null) send(socket, out, log); });
      });
      socket.on('error', (err) => { log.error({ err }, 'dhcp socket failed'); reject(err); });
      socket.on('close', () => { if (closing) resolve(); });
    }
  });
  serving.catch(() => undefined);
  const ports = { dhcp: dhcp.address().port, proxy: proxy.address().port };
  log.info({ mode: options.mode, ip: options.serverAddress, port: ports.dhcp, proxyPort: ports.proxy }, 'dhcp server listening');
  return {
    ports,
    serving,
    async close() {
      closing = true;
      await Promise.all([dhcp, proxy].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

function send(socket: Socket, out: Outgoing, log: Logger): void {
  const mac = hardwareAddress(out.packet);
  let bytes: Uint8Array;
  try {
    bytes = encodeDhcpPacket(out.packet);
  } catch (err) {
    log.error({ mac, err }, 'dhcp reply could not be encoded');
    return;
  }
  socket.send(bytes, out.route.port, out.route.address, (err) => {
    if (err) log.warn({ mac, ip: out.route.address, err: err.message }, 'dhcp reply not sent');
    // Checked first: at 10,000+ offers/s building the fields costs more than the send.
    else if (log.isLevelEnabled('debug')) log.debug({ mac, xid: out.packet.xid, ip: out.route.address, type: readMessageType(out.packet.options), file: out.packet.file }, 'dhcp reply sent');
  });
}
