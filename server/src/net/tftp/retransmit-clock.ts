export interface RetransmitClockOptions {
  /** Interval before the first round-trip sample, ms (RFC 6298 §2.1 says 1 s). Example: 1000 */
  readonly initialMs: number;
  /** Floor of the adaptive interval, ms. Example: 50 */
  readonly minMs: number;
  /** Ceiling of the interval, also after backing off, ms. Example: 5000 */
  readonly maxMs: number;
}

/**
 * When to retransmit: RFC 6298's estimator (SRTT, RTTVAR, RTO = SRTT + 4·RTTVAR), clamped,
 * doubled on every timeout until progress. tftpd-hpa waits a fixed 1 s, so each lost packet
 * costs a second; on a LAN the round trip is well under a millisecond, so an adaptive
 * interval recovers from loss far sooner. The caller follows Karn's rule: no samples from
 * windows that were retransmitted.
 */
export class RetransmitClock {
  readonly #options: RetransmitClockOptions;
  #srtt: number | null = null;
  #rttvar = 0;
  #backoff = 0;

  constructor(options: RetransmitClockOptions) {
    this.#options = options;
  }

  /** The interval to wait now, whole ms. */
  get timeoutMs(): number {
    const o = this.#options;
    const base = this.#srtt === null ? o.initialMs : Math.max(o.minMs, this.#srtt + Math.max(1, 4 * this.#rttvar));
    return Math.round(Math.min(o.maxMs, base * 2 ** this.#backoff));
  }

  /** A round trip measured on a window sent once. */
  sample(rttMs: number): void {
    if (this.#srtt === null) {
      this.#srtt = rttMs;
      this.#rttvar = rttMs / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rttMs);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rttMs;
    }
    this.#backoff = 0;
  }

  /** The client acknowledged something new: back to the estimated interval. */
  progressed(): void {
    this.#backoff = 0;
  }

  /** A timeout: wait twice as long next time, up to maxMs. */
  timedOut(): void {
    if (this.#backoff < 16) this.#backoff++;
  }
}
