/*
 * Full-mode address leases: the configured range, the bound leases (persisted through a
 * DhcpLeaseStore, in practice `store.stateArea('dhcp-lease')`), and the short-lived offers
 * (memory only: an offer that is never requested costs nothing after OFFER_HOLD_MS).
 * Allocation is a cursor over the range, so a new client costs O(1) while the range has
 * never-used addresses; the `dhcp` npm package's indexOf-per-candidate made it O(n²)
 * (research/deps.md §1: ~50 DISCOVERs/s after 3000 leases).
 */

/** One lease as stored, keyed by its address. */
export interface DhcpLease {
  readonly address: string;
  /** Option 61 as hex, else "hw:<htype>:<mac>"; "" for a declined address. */
  readonly clientKey: string;
  readonly mac: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
  readonly state: 'bound' | 'declined';
  readonly hostName?: string;
}

/** Where leases live (structurally a `StateArea<DhcpLease>` of the store). */
export interface DhcpLeaseStore {
  get(key: string): Promise<DhcpLease | undefined>;
  put(key: string, value: DhcpLease): Promise<void>;
  del(key: string): Promise<void>;
  values(): Promise<DhcpLease[]>;
}

/** The addresses handed out and what clients are told besides. */
export interface DhcpRange {
  /** First and last address handed out, e.g. "10.0.0.100" and "10.0.0.199". */
  readonly start: string;
  readonly end: string;
  /** Prefix length of the network, e.g. 24. */
  readonly prefixLength: number;
  readonly leaseSeconds: number;
  /** Default gateway; "" sends none. */
  readonly router: string;
  readonly dns: readonly string[];
}

/** How long an offered address stays reserved for the client it was offered to. */
export const OFFER_HOLD_MS = 60_000;

/** A dotted quad (already validated) as a 32-bit number. */
export function ipv4ToNumber(text: string): number {
  let n = 0;
  let part = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) { n = (n * 256) + part; part = 0; } else part = part * 10 + (c - 0x30);
  }
  return ((n * 256) + part) >>> 0;
}

export function numberToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

interface Offer {
  readonly address: number;
  readonly until: number;
}

export class LeasePool {
  readonly range: DhcpRange;
  readonly #store: DhcpLeaseStore;
  readonly #first: number;
  readonly #size: number;
  readonly #mask: number;
  readonly #byAddress = new Map<number, DhcpLease>();
  readonly #byClient = new Map<string, number>();
  readonly #offers = new Map<string, Offer>();
  readonly #offeredTo = new Map<number, string>();
  #cursor = 0;

  private constructor(range: DhcpRange, store: DhcpLeaseStore) {
    this.range = range;
    this.#store = store;
    this.#first = ipv4ToNumber(range.start);
    this.#size = ipv4ToNumber(range.end) - this.#first + 1;
    this.#mask = prefixMask(range.prefixLength);
  }

  /** Loads the stored leases. The range must be ordered and inside one network. */
  static async open(range: DhcpRange, store: DhcpLeaseStore): Promise<LeasePool> {
    const pool = new LeasePool(range, store);
    if (pool.#size < 1 || !pool.inNetwork(range.end) || !pool.inNetwork(range.start)) {
      throw new RangeError(`dhcp.range ${range.start}-${range.end}/${range.prefixLength} is not an ordered range inside one network`);
    }
    for (const lease of await store.values()) pool.#index(lease);
    return pool;
  }

  get size(): number {
    return this.#size;
  }

  /** The subnet mask as a dotted quad. */
  get subnetMask(): string {
    return numberToIpv4(this.#mask);
  }

  /** True when `address` is in the range's network (for NAKs and relays). */
  inNetwork(address: string): boolean {
    return ((ipv4ToNumber(address) ^ this.#first) & this.#mask) === 0;
  }

  inRange(address: string): boolean {
    const n = ipv4ToNumber(address) - this.#first;
    return n >= 0 && n < this.#size;
  }

  /** The client's lease (possibly expired), if its address has not gone to someone else. */
  leaseOf(clientKey: string): DhcpLease | undefined {
    const address = this.#byClient.get(clientKey);
    return address === undefined ? undefined : this.#byAddress.get(address);
  }

  /** Who holds `address` now (an unexpired bound or declined lease, or a live offer). */
  holderOf(address: string, now: number): string | undefined {
    const n = ipv4ToNumber(address);
    const lease = this.#byAddress.get(n);
    if (lease && lease.expiresAt > now) return lease.clientKey;
    const offeredTo = this.#offeredTo.get(n);
    const offer = offeredTo === undefined ? undefined : this.#offers.get(offeredTo);
    return offer && offer.until > now ? offeredTo : undefined;
  }

  /**
   * Picks and reserves an address for a DISCOVER: the client's own (lease, then live offer),
   * else the address it asks for if free, else the next never-used one, else the one whose
   * lease ended longest ago. null when the range is exhausted.
   */
  offer(clientKey: string, requested: string | undefined, now: number): string | null {
    const own = this.#byClient.get(clientKey) ?? this.#offers.get(clientKey)?.address;
    const pick = own !== undefined && this.#freeFor(own, clientKey, now) ? own
      : requested !== undefined && this.inRange(requested) && this.#freeFor(ipv4ToNumber(requested), clientKey, now) ? ipv4ToNumber(requested)
        : this.#nextFree(clientKey, now);
    if (pick === null) return null;
    this.cancelOffer(clientKey);
    this.#offers.set(clientKey, { address: pick, until: now + OFFER_HOLD_MS });
    this.#offeredTo.set(pick, clientKey);
    return numberToIpv4(pick);
  }

  /** Forgets the client's pending offer (it chose another server). */
  cancelOffer(clientKey: string): void {
    const offer = this.#offers.get(clientKey);
    if (offer === undefined) return;
    this.#offers.delete(clientKey);
    if (this.#offeredTo.get(offer.address) === clientKey) this.#offeredTo.delete(offer.address);
  }

  /** True when `address` may be bound to `clientKey` now. */
  canBind(clientKey: string, address: string, now: number): boolean {
    return this.inRange(address) && this.#freeFor(ipv4ToNumber(address), clientKey, now);
  }

  /** Binds (or renews) and persists the lease before the caller ACKs (RFC 2131 §4.3.2). */
  async bind(clientKey: string, mac: string, address: string, now: number, hostName?: string): Promise<DhcpLease> {
    const lease: DhcpLease = { address, clientKey, mac, expiresAt: now + this.range.leaseSeconds * 1000, state: 'bound', ...(hostName ? { hostName } : {}) };
    const previous = this.#byClient.get(clientKey);
    if (previous !== undefined && previous !== ipv4ToNumber(address)) {
      // The client moved: its old address goes back to the pool.
      await this.#store.del(numberToIpv4(previous));
      this.#byAddress.delete(previous);
    }
    await this.#store.put(address, lease);
    this.cancelOffer(clientKey);
    this.#index(lease);
    return lease;
  }

  /** RELEASE: frees the address if the client holds it. */
  async release(clientKey: string, address: string): Promise<boolean> {
    const lease = this.#byAddress.get(ipv4ToNumber(address));
    if (lease?.clientKey !== clientKey) return false;
    await this.#store.del(address);
    this.#byAddress.delete(ipv4ToNumber(address));
    this.#byClient.delete(clientKey);
    return true;
  }

  /** DECLINE: someone else uses the address; keep it out of the pool for one lease time. */
  async decline(address: string, now: number): Promise<void> {
    const previous = this.#byAddress.get(ipv4ToNumber(address));
    if (previous) this.#byClient.delete(previous.clientKey);
    const lease: DhcpLease = { address, clientKey: '', mac: '', expiresAt: now + this.range.leaseSeconds * 1000, state: 'declined' };
    await this.#store.put(address, lease);
    this.#byAddress.set(ipv4ToNumber(address), lease);
  }

  #index(lease: DhcpLease): void {
    const n = ipv4ToNumber(lease.address);
    const previous = this.#byAddress.get(n);
    if (previous && previous.clientKey !== lease.clientKey && this.#byClient.get(previous.clientKey) === n) this.#byClient.delete(previous.clientKey);
    this.#byAddress.set(n, lease);
    if (lease.state === 'bound') this.#byClient.set(lease.clientKey, n);
  }

  #freeFor(address: number, clientKey: string, now: number): boolean {
    const lease = this.#byAddress.get(address);
    if (lease && lease.expiresAt > now && lease.clientKey !== clientKey) return false;
    const offeredTo = this.#offeredTo.get(address);
    if (offeredTo !== undefined && offeredTo !== clientKey && (this.#offers.get(offeredTo)?.until ?? 0) > now) return false;
    return true;
  }

  /** One pass from the cursor: the first address never leased nor offered, else the oldest expired one. */
  #nextFree(clientKey: string, now: number): number | null {
    let oldest: { address: number; expiresAt: number } | null = null;
    for (let k = 0; k < this.#size; k++) {
      const address = this.#first + ((this.#cursor + k) % this.#size);
      if (!this.#freeFor(address, clientKey, now)) continue;
      const lease = this.#byAddress.get(address);
      if (lease === undefined) {
        this.#cursor = (this.#cursor + k + 1) % this.#size;
        return address;
      }
      if (oldest === null || lease.expiresAt < oldest.expiresAt) oldest = { address, expiresAt: lease.expiresAt };
    }
    return oldest?.address ?? null;
  }
}
