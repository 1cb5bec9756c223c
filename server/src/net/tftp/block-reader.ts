import type { TftpFile } from './tftp-file.js';

/** Bytes read from disk at a time for a file that is not held in memory. */
const CHUNK_BYTES = 1024 * 1024;

interface Chunk {
  readonly loading: Promise<Uint8Array>;
  bytes: Uint8Array | null;
}

/**
 * Hands out the blocks of one transfer. A file held in memory gives views of its bytes. A
 * bigger file is read in chunks of whole blocks, at least one window long, so a window spans
 * at most two chunks and a restart from the window's start never goes back further than the
 * previous chunk; the next chunk is read ahead while the current one is sent, and at most
 * three chunks (previous, current, next) are kept.
 */
export class BlockReader {
  readonly #file: TftpFile;
  readonly #blockSize: number;
  readonly #chunkBytes: number;
  readonly #chunks = new Map<number, Chunk>();

  constructor(file: TftpFile, blockSize: number, windowSize: number) {
    this.#file = file;
    this.#blockSize = blockSize;
    this.#chunkBytes = blockSize * Math.max(windowSize, Math.ceil(CHUNK_BYTES / blockSize));
  }

  /** Block `n` (1-based): its bytes, the last one shorter (possibly empty); a promise while its chunk is read. */
  block(n: number): Uint8Array | Promise<Uint8Array> {
    const start = (n - 1) * this.#blockSize;
    const whole = this.#file.bytes;
    if (whole !== null) return whole.subarray(start, start + this.#blockSize);
    const index = Math.floor(start / this.#chunkBytes);
    const chunk = this.#chunk(index);
    this.#chunk(index + 1);
    this.#evictAround(index);
    const at = start - index * this.#chunkBytes;
    if (chunk.bytes !== null) return chunk.bytes.subarray(at, at + this.#blockSize);
    return chunk.loading.then((bytes) => bytes.subarray(at, at + this.#blockSize));
  }

  #chunk(index: number): Chunk {
    let chunk = this.#chunks.get(index);
    if (chunk !== undefined) return chunk;
    const position = index * this.#chunkBytes;
    if (position > this.#file.size) {
      chunk = { loading: Promise.resolve(new Uint8Array(0)), bytes: new Uint8Array(0) };
    } else {
      const loading = this.#file.read(position, this.#chunkBytes);
      const loaded: Chunk = { loading, bytes: null };
      // A read-ahead nobody waits for must not become an unhandled rejection; a reader that
      // does wait sees the error through `loading`.
      loading.then((bytes) => { loaded.bytes = bytes; }, () => undefined);
      chunk = loaded;
    }
    this.#chunks.set(index, chunk);
    return chunk;
  }

  #evictAround(index: number): void {
    for (const k of this.#chunks.keys()) if (k < index - 1 || k > index + 1) this.#chunks.delete(k);
  }
}
