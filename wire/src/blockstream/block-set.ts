/**
 * A set of block indexes as a bitmap (bit i of byte i/8, LSB first). It is the receiver's
 * journal as both sides keep it: the agent's record of blocks written and verified, and the
 * server's copy, persisted and sent back at registration as base64.
 */
export class BlockSet {
  readonly size: number;
  readonly #bits: Uint8Array;
  #count = 0;

  constructor(size: number, bits?: Uint8Array) {
    this.size = size;
    this.#bits = new Uint8Array(Math.ceil(size / 8));
    if (bits) {
      for (let i = 0; i < size; i++) if ((((bits[i >> 3] ?? 0) >> (i & 7)) & 1) === 1) this.add(i);
    }
  }

  get count(): number {
    return this.#count;
  }

  has(i: number): boolean {
    return (((this.#bits[i >> 3] ?? 0) >> (i & 7)) & 1) === 1;
  }

  /** Adds `i`; false if it was already there or out of range. */
  add(i: number): boolean {
    if (!Number.isInteger(i) || i < 0 || i >= this.size || this.has(i)) return false;
    this.#bits[i >> 3] = (this.#bits[i >> 3] ?? 0) | (1 << (i & 7));
    this.#count++;
    return true;
  }

  /** Adds [first, count] runs. */
  addRanges(ranges: readonly (readonly [number, number])[]): void {
    for (const [first, count] of ranges) for (let i = first; i < first + count && i < this.size; i++) this.add(i);
  }

  toBase64(): string {
    return Buffer.from(this.#bits).toString('base64');
  }

  static fromBase64(size: number, text: string): BlockSet {
    return new BlockSet(size, Buffer.from(text, 'base64'));
  }

  /** Indexes as [first, count] runs, ascending. */
  static toRanges(indexes: readonly number[]): [number, number][] {
    const sorted = [...indexes].sort((a, b) => a - b);
    const ranges: [number, number][] = [];
    for (const i of sorted) {
      const last = ranges[ranges.length - 1];
      if (last && last[0] + last[1] === i) last[1]++;
      else ranges.push([i, 1]);
    }
    return ranges;
  }
}
