/**
 * Reusable buffers for sealed blocks being assembled. Every block of a session needs one
 * (~256 KiB) for well under a second; allocating each anew made 1 GB of short-lived external
 * memory per GiB received, and V8 answers external memory with full garbage collections
 * (one per 64 MB). A buffer goes back to the pool once the block is opened (decrypted).
 */
export class SealedBufferPool {
  readonly #capacity: number;
  readonly #maxIdle: number;
  readonly #idle: Buffer[] = [];
  /** Backing stores lent out by take(): only these are taken back, and each only once. */
  readonly #lent = new WeakSet<ArrayBufferLike>();

  /** `capacity`: the largest sealed block of the session; `maxIdle`: buffers kept when returned. */
  constructor(capacity: number, maxIdle: number) {
    this.#capacity = capacity;
    this.#maxIdle = maxIdle;
  }

  /** A buffer of exactly `length` bytes (contents undefined). */
  take(length: number): Buffer {
    if (length > this.#capacity) return Buffer.allocUnsafe(length);
    const whole = this.#idle.pop() ?? Buffer.allocUnsafeSlow(this.#capacity);
    this.#lent.add(whole.buffer);
    return whole.subarray(0, length);
  }

  /**
   * Returns a buffer from take() once nothing refers to it any more. Anything else (a
   * backfilled block, a second return of the same buffer) is ignored. A buffer never returned
   * (a spilled block's) is simply collected.
   */
  give(buffer: Uint8Array): void {
    if (!this.#lent.delete(buffer.buffer) || this.#idle.length >= this.#maxIdle) return;
    this.#idle.push(Buffer.from(buffer.buffer, 0, this.#capacity));
  }

  get idle(): number {
    return this.#idle.length;
  }
}
