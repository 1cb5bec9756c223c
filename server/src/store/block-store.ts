import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RackcastError } from '../errors.js';
import { decompressBlock } from './block-codec.js';
import { syncDirectory, writeAndRename } from './durable-file.js';

/**
 * Content-addressed block files: blocks/ab/cd/<64 hex>, each one block frame (LZ4 or raw).
 * One file per block keeps crash safety simple (write to tmp, fsync, rename) and makes
 * garbage collection an unlink. Two levels of 256 folders keep directories small up to tens
 * of millions of blocks.
 */
export class BlockStore {
  readonly #root: string;
  readonly #tmp: string;
  readonly #knownDirs = new Set<string>();
  /** Directories that received renames since the last flush and still need an fsync. */
  readonly #dirtyDirs = new Set<string>();
  #tmpCounter = 0;

  constructor(root: string, tmp: string) {
    this.#root = root;
    this.#tmp = tmp;
  }

  async init(): Promise<void> {
    await mkdir(this.#root, { recursive: true });
    await mkdir(this.#tmp, { recursive: true });
  }

  pathOf(hex: string): string {
    return join(this.#root, hex.slice(0, 2), hex.slice(2, 4), hex);
  }

  /** Writes a block frame durably (content fsynced); its directory is fsynced by flush(). */
  async write(hex: string, frame: Uint8Array): Promise<void> {
    const path = this.pathOf(hex);
    const dir = join(this.#root, hex.slice(0, 2), hex.slice(2, 4));
    if (!this.#knownDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#knownDirs.add(dir);
    }
    await writeAndRename(join(this.#tmp, `block-${process.pid}-${++this.#tmpCounter}`), path, frame);
    this.#dirtyDirs.add(dir);
  }

  /** Makes every rename since the last flush durable; called before an index commit. */
  async flush(): Promise<void> {
    const dirs = [...this.#dirtyDirs];
    this.#dirtyDirs.clear();
    await Promise.all(dirs.map((dir) => syncDirectory(dir)));
  }

  /** Reads a block frame as stored; RC_ERR_STORE_BLOCK_MISSING if the file is gone. */
  async readFrame(hex: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(hex));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new RackcastError('RC_ERR_STORE_BLOCK_MISSING', `block ${hex} is missing from the store`, { block: hex });
      }
      throw err;
    }
  }

  /** Reads, decompresses and verifies a block against its hash. */
  async read(hash: Uint8Array): Promise<Buffer> {
    const hex = Buffer.from(hash).toString('hex');
    return decompressBlock(await this.readFrame(hex), hash, hex);
  }

  /** Size of a block file in bytes, or undefined if it does not exist. */
  async sizeOf(hex: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(hex))).size;
    } catch {
      return undefined;
    }
  }

  /** Deletes a block file; returns the bytes freed (0 if it was already gone). */
  async remove(hex: string): Promise<number> {
    const size = await this.sizeOf(hex);
    if (size === undefined) return 0;
    await unlink(this.pathOf(hex)).catch(() => undefined);
    this.#dirtyDirs.add(join(this.#root, hex.slice(0, 2), hex.slice(2, 4)));
    return size;
  }

  /** Every block file on disk (name must be 64 hex digits; anything else is skipped). */
  async *list(): AsyncGenerator<string> {
    for (const a of await readdirSafe(this.#root)) {
      for (const b of await readdirSafe(join(this.#root, a))) {
        for (const name of await readdirSafe(join(this.#root, a, b))) {
          if (/^[0-9a-f]{64}$/.test(name)) yield name;
        }
      }
    }
  }
}

async function readdirSafe(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}
