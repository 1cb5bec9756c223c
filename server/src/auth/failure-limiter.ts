/**
 * Counts failed logins per source address in a sliding window; once `max` failures fall in the
 * window, further attempts from that address are refused until the oldest ages out. Bounded in
 * memory (a correct login does not clear the count, or one known account would unlock guessing
 * at the others): at most `maxSources` addresses are tracked (the stalest is forgotten first).
 */
export class FailureLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxSources: number;
  readonly #now: () => number;

  constructor(options: { max?: number; windowMs?: number; maxSources?: number; now?: () => number } = {}) {
    this.#max = options.max ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxSources = options.maxSources ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Seconds until `source` may try again; 0 when it may now. */
  retryAfterSeconds(source: string): number {
    const recent = this.#recent(source);
    if (recent.length < this.#max) return 0;
    return Math.max(1, Math.ceil(((recent[0] ?? 0) + this.#windowMs - this.#now()) / 1000));
  }

  fail(source: string): void {
    const recent = this.#recent(source);
    recent.push(this.#now());
    this.#failures.delete(source);
    this.#failures.set(source, recent.slice(-this.#max));
    while (this.#failures.size > this.#maxSources) {
      const stalest = this.#failures.keys().next().value;
      if (stalest === undefined) break;
      this.#failures.delete(stalest);
    }
  }

  #recent(source: string): number[] {
    const since = this.#now() - this.#windowMs;
    return (this.#failures.get(source) ?? []).filter((t) => t > since);
  }
}
