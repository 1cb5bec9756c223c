/** A set of block indexes as a bitmap, with ranges out for the server's journal. */
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

  add(i: number): boolean {
    if (i < 0 || i >= this.size || this.has(i)) return false;
    this.#bits[i >> 3] = (this.#bits[i >> 3] ?? 0) | (1 << (i & 7));
    this.#count++;
    return true;
  }

  /** Members as [first, count] runs, ascending. */
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
