import {
  DhcpMessageType, hardwareAddress, readClientIdentifier, readHostName, readRequestedAddress, readServerIdentifier, routeReply,
  type DhcpPacket, type ReplyRoute,
} from '@rackcast/wire';
import type { Logger } from '../../log.js';
import { addLeaseOptions, nakTo, replyTo } from './dhcp-reply.js';
import type { LeasePool } from './lease-pool.js';

/*
 * Full DHCP (RFC 2131 §4.3): addresses from dhcp.range, for an isolated imaging network.
 * No ping before an offer (dnsmasq's check delays the first OFFER by ~3 s: research/lab.md
 * §7.3); a client that finds its address in use DECLINEs it instead.
 */

/** A reply and where it goes; `addBoot` says whether boot information may be added. */
export interface FullReply {
  readonly packet: DhcpPacket;
  readonly options: Map<number, Uint8Array>;
  readonly route: ReplyRoute;
  readonly addBoot: boolean;
}

/** The lease identity: option 61 when sent (RFC 2131 §4.2), else the hardware address. */
export function clientKeyOf(request: DhcpPacket): string {
  const id = readClientIdentifier(request.options);
  return id === undefined ? `hw:${request.htype}:${hardwareAddress(request)}` : `id:${Buffer.from(id).toString('hex')}`;
}

export class FullDhcp {
  readonly #pool: LeasePool;
  readonly #server: string;
  readonly #log: Logger;

  constructor(pool: LeasePool, serverAddress: string, log: Logger) {
    this.#pool = pool;
    this.#server = serverAddress;
    this.#log = log;
  }

  /** Handles one request; null means stay silent. Throws WireError on malformed options. */
  async handle(request: DhcpPacket, type: number, now: number): Promise<FullReply | null> {
    if (request.giaddr !== '0.0.0.0' && !this.#pool.inNetwork(request.giaddr)) {
      this.#log.info({ ip: request.giaddr }, 'dhcp request relayed from a network outside dhcp.range ignored');
      return null;
    }
    switch (type) {
      case DhcpMessageType.Discover: return this.#discover(request, now);
      case DhcpMessageType.Request: return this.#request(request, now);
      case DhcpMessageType.Inform: return this.#inform(request);
      case DhcpMessageType.Release: await this.#release(request); return null;
      case DhcpMessageType.Decline: await this.#decline(request, now); return null;
      default: return null;
    }
  }

  #discover(request: DhcpPacket, now: number): FullReply | null {
    const address = this.#pool.offer(clientKeyOf(request), readRequestedAddress(request.options), now);
    if (address === null) {
      this.#log.warn({ mac: hardwareAddress(request) }, 'dhcp.range exhausted: no address to offer');
      return null;
    }
    return this.#withLease(request, DhcpMessageType.Offer, address);
  }

  async #request(request: DhcpPacket, now: number): Promise<FullReply | null> {
    const key = clientKeyOf(request);
    const serverId = readServerIdentifier(request.options);
    const requested = readRequestedAddress(request.options);
    if (serverId !== undefined) {
      // SELECTING: a REQUEST naming another server means the client chose it (RFC 2131 §4.3.2).
      if (serverId !== this.#server) { this.#pool.cancelOffer(key); return null; }
      const address = requested ?? request.ciaddr;
      if (!this.#pool.canBind(key, address, now)) return this.#nak(request, 'address not available');
      return this.#bind(request, key, address, now);
    }
    const wanted = requested ?? request.ciaddr;
    if (wanted === '0.0.0.0') return null;
    // INIT-REBOOT (option 50) or RENEWING/REBINDING (ciaddr).
    if (!this.#pool.inNetwork(wanted)) return this.#nak(request, 'wrong network');
    const lease = this.#pool.leaseOf(key);
    if (lease?.address === wanted && this.#pool.canBind(key, wanted, now)) return this.#bind(request, key, wanted, now);
    const holder = this.#pool.holderOf(wanted, now);
    if (lease !== undefined || (holder !== undefined && holder !== key) || !this.#pool.inRange(wanted)) return this.#nak(request, 'address not available');
    // No record of this client: RFC 2131 §4.3.2 says remain silent.
    return null;
  }

  async #bind(request: DhcpPacket, key: string, address: string, now: number): Promise<FullReply> {
    await this.#pool.bind(key, hardwareAddress(request), address, now, readHostName(request.options));
    this.#log.info({ mac: hardwareAddress(request), ip: address }, 'dhcp lease bound');
    return this.#withLease(request, DhcpMessageType.Ack, address);
  }

  #inform(request: DhcpPacket): FullReply | null {
    if (request.ciaddr === '0.0.0.0') return null;
    const { packet, options } = replyTo(request, DhcpMessageType.Ack, this.#server, { ciaddr: request.ciaddr });
    const r = this.#pool.range;
    addLeaseOptions(options, { subnetMask: this.#pool.subnetMask, router: r.router, dns: r.dns });
    return { packet, options, route: routeReply(request), addBoot: true };
  }

  async #release(request: DhcpPacket): Promise<void> {
    if (readServerIdentifier(request.options) !== this.#server) return;
    if (await this.#pool.release(clientKeyOf(request), request.ciaddr)) {
      this.#log.info({ mac: hardwareAddress(request), ip: request.ciaddr }, 'dhcp lease released');
    }
  }

  async #decline(request: DhcpPacket, now: number): Promise<void> {
    const address = readRequestedAddress(request.options);
    if (readServerIdentifier(request.options) !== this.#server || address === undefined) return;
    if (this.#pool.leaseOf(clientKeyOf(request))?.address !== address) return;
    await this.#pool.decline(address, now);
    this.#log.warn({ mac: hardwareAddress(request), ip: address }, 'dhcp address declined: in use by another host');
  }

  #withLease(request: DhcpPacket, type: typeof DhcpMessageType.Offer | typeof DhcpMessageType.Ack, address: string): FullReply {
    const ciaddr = type === DhcpMessageType.Ack ? request.ciaddr : '0.0.0.0';
    const { packet, options } = replyTo(request, type, this.#server, { yiaddr: address, ciaddr });
    const r = this.#pool.range;
    addLeaseOptions(options, { subnetMask: this.#pool.subnetMask, router: r.router, dns: r.dns, leaseSeconds: r.leaseSeconds });
    return { packet, options, route: routeReply(request), addBoot: true };
  }

  #nak(request: DhcpPacket, why: string): FullReply {
    this.#log.info({ mac: hardwareAddress(request), reason: why }, 'dhcp request refused (NAK)');
    const packet = nakTo(request, this.#server, why);
    return { packet, options: packet.options as Map<number, Uint8Array>, route: routeReply(request, true), addBoot: false };
  }
}
