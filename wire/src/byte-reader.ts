import { WireError } from './wire-error.js';

/**
 * Bounds-checked big-endian reader over one buffer. Every read names the field it reads so a
 * short or lying input fails with RC_ERR_WIRE_TRUNCATED and the field at fault.
 */
export class ByteReader {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#bytes.byteLength - this.#pos;
  }

  #need(n: number, field: string): number {
    if (n > this.remaining) {
      throw new WireError('RC_ERR_WIRE_TRUNCATED', field, `need ${n} bytes, ${this.remaining} left`);
    }
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  u8(field: string): number {
    return this.#view.getUint8(this.#need(1, field));
  }

  u16(field: string): number {
    return this.#view.getUint16(this.#need(2, field));
  }

  u32(field: string): number {
    return this.#view.getUint32(this.#need(4, field));
  }

  /** Reads a u64 that must fit a JS safe integer (8 PiB), else RC_ERR_WIRE_INVALID. */
  u64(field: string): number {
    const value = this.#view.getBigUint64(this.#need(8, field));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new WireError('RC_ERR_WIRE_INVALID', field, 'value exceeds 2^53');
    }
    return Number(value);
  }

  /** A view (not a copy) of the next n bytes. */
  bytes(n: number, field: string): Uint8Array {
    const at = this.#need(n, field);
    return this.#bytes.subarray(at, at + n);
  }
}

/** Big-endian writer into a buffer of known size; the codec computes the size up front. */
export class ByteWriter {
  readonly #view: DataView;
  readonly bytes: Uint8Array;
  #pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
  }

  get position(): number {
    return this.#pos;
  }

  u8(value: number): void {
    this.#view.setUint8(this.#pos, value);
    this.#pos += 1;
  }

  u16(value: number): void {
    this.#view.setUint16(this.#pos, value);
    this.#pos += 2;
  }

  u32(value: number): void {
    this.#view.setUint32(this.#pos, value);
    this.#pos += 4;
  }

  u64(value: number): void {
    this.#view.setBigUint64(this.#pos, BigInt(value));
    this.#pos += 8;
  }

  raw(value: Uint8Array): void {
    this.bytes.set(value, this.#pos);
    this.#pos += value.byteLength;
  }
}
