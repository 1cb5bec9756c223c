/** Bytes each datagram costs on an Ethernet wire beyond its UDP payload: Ethernet 14 + IPv4 20 + UDP 8. */
export const WIRE_OVERHEAD = 42;

/**
 * Paces sending with a token bucket. `rateBps` counts wire bits (payload + headers), as a
 * switch port or `tc tbf` does. The bucket holds at most `burstMs` of tokens so a pause never
 * turns into a burst that overflows the next queue. `adjust` is the governor: it lowers the
 * rate when loss is widespread and lets it grow back, never above the configured ceiling.
 */
export class RateGovernor {
  readonly ceilingBps: number;
  #rateBps: number;
  #tokens = 0;
  #last = performance.now();
  readonly #burstMs: number;
  #cleanPasses = 0;

  constructor(rateBps: number, burstMs = 2) {
    this.ceilingBps = rateBps;
    this.#rateBps = rateBps;
    this.#burstMs = burstMs;
  }

  get rateBps(): number {
    return this.#rateBps;
  }

  /**
   * Takes tokens for `datagrams` datagrams (one send) of `payloadBytes` in all. Returns 0 when
   * they may go now, or the milliseconds to wait before trying again.
   */
  take(payloadBytes: number, datagrams = 1): number {
    if (this.#rateBps <= 0) return 0;
    const bits = (payloadBytes + WIRE_OVERHEAD * datagrams) * 8;
    // A send larger than the bucket goes once the bucket is full and leaves it in debt: it
    // would never fit otherwise, and the debt keeps the average rate.
    const need = Math.min(bits, this.#capacityBits());
    if (this.#tokens < need) this.#refill();
    if (this.#tokens >= need) {
      this.#tokens -= bits;
      return 0;
    }
    return Math.max(1, Math.ceil(((need - this.#tokens) / this.#rateBps) * 1000));
  }

  /** Wire bytes the bucket holds when full (Infinity when unpaced): the largest burst. */
  get burstBytes(): number {
    return this.#rateBps <= 0 ? Infinity : this.#capacityBits() / 8;
  }

  #capacityBits(): number {
    return (this.#rateBps * this.#burstMs) / 1000;
  }

  #refill(): void {
    const now = performance.now();
    const elapsed = (now - this.#last) / 1000;
    this.#last = now;
    this.#tokens = Math.min(this.#capacityBits(), this.#tokens + elapsed * this.#rateBps);
  }

  /**
   * Reacts to the loss the healthy receivers saw in the last pass: widespread loss (median
   * above 5 %) means the path is congested, so slow down by a quarter; after two clean passes
   * grow by a tenth, up to the ceiling.
   */
  adjust(medianLoss: number): void {
    if (this.ceilingBps <= 0) return;
    if (medianLoss > 0.05) {
      this.#rateBps = Math.max(this.ceilingBps / 16, this.#rateBps * 0.75);
      this.#cleanPasses = 0;
    } else if (++this.#cleanPasses >= 2) {
      this.#rateBps = Math.min(this.ceilingBps, this.#rateBps * 1.1);
    }
  }
}
