/** A set of block indexes as a bitmap: the server's journal of what a receiver completed. */
export class BlockBitmap {
  readonly size: number;
  readonly #bits: Uint8Array;
  #count = 0;

  constructor(size: number, bits?: Uint8Array) {
    this.size = size;
    this.#bits = new Uint8Array(Math.ceil(size / 8));
    if (bits) {
      this.#bits.set(bits.subarray(0, this.#bits.byteLength));
      for (let i = 0; i < size; i++) if (this.has(i)) this.#count++;
    }
  }

  get count(): number {
    return this.#count;
  }

  has(i: number): boolean {
    return (((this.#bits[i >> 3] ?? 0) >> (i & 7)) & 1) === 1;
  }

  add(i: number): void {
    if (i < 0 || i >= this.size || this.has(i)) return;
    this.#bits[i >> 3] = (this.#bits[i >> 3] ?? 0) | (1 << (i & 7));
    this.#count++;
  }

  /** Adds ranges [first, count]. */
  addRanges(ranges: readonly (readonly [number, number])[]): void {
    for (const [first, count] of ranges) for (let i = first; i < first + count; i++) this.add(i);
  }

  toBase64(): string {
    return Buffer.from(this.#bits).toString('base64');
  }

  static fromBase64(size: number, text: string): BlockBitmap {
    return new BlockBitmap(size, Buffer.from(text, 'base64'));
  }
}
