import { mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RackcastError } from '../errors.js';
import { decompressBlock } from './block-codec.js';
import { forEachLimited } from '../task-pool.js';
import { syncDirectory, syncFile } from './durable-file.js';

/** fsyncs in flight during a flush: enough to keep the device queue busy. */
const FLUSH_PARALLELISM = 8;

/**
 * Content-addressed block files: blocks/ab/<64 hex>, each one block frame (LZ4 or raw).
 * One file per block keeps crash safety simple (a file counts only once a commit names it)
 * and makes garbage collection an unlink. NOTE: one level of 256 folders, not two: with two
 * levels nearly every new block of a young store created (and fsynced) two folders, which
 * cost more system time than the data itself; ext4's hashed directories hold the 16,000
 * files a folder gets at 4 million blocks (1 TiB of 256 KiB blocks) without trouble.
 */
export class BlockStore {
  readonly #root: string;
  readonly #knownDirs = new Set<string>();
  /** Directories that received new files since the last flush and still need an fsync. */
  readonly #dirtyDirs = new Set<string>();
  /** Block files written since the last flush whose data is not yet fsynced. */
  readonly #unsynced = new Set<string>();
  #removals = 0;

  constructor(root: string) {
    this.#root = root;
  }

  async init(): Promise<void> {
    await mkdir(this.#root, { recursive: true });
  }

  pathOf(hex: string): string {
    return join(this.#root, hex.slice(0, 2), hex);
  }

  /**
   * Writes a block frame under its final name. NOTE: no temporary file and rename: a block
   * file counts only once an index commit references it, and every commit first runs
   * `flush()` (one parallel round of fsyncs, far cheaper than one per block). A file left
   * half-written by a crash is referenced by nothing: dedup trusts only committed references,
   * so the next writer of that content rewrites it, and gc removes it otherwise.
   */
  async write(hex: string, frame: Uint8Array): Promise<void> {
    const path = this.pathOf(hex);
    const dir = join(this.#root, hex.slice(0, 2));
    if (!this.#knownDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#knownDirs.add(dir);
    }
    await writeFile(path, frame, { mode: 0o644 });
    this.#unsynced.add(path);
    this.#dirtyDirs.add(dir);
  }

  /** Queues an existing block file for the next flush's fsync (a file adopted from an earlier, uncommitted writer). */
  markUnsynced(hex: string): void {
    this.#unsynced.add(this.pathOf(hex));
    this.#dirtyDirs.add(join(this.#root, hex.slice(0, 2)));
  }

  /** Makes every block written since the last flush durable: file data, then the renames. */
  async flush(): Promise<void> {
    const files = [...this.#unsynced];
    this.#unsynced.clear();
    await forEachLimited(files, FLUSH_PARALLELISM, (path) => syncFile(path));
    const dirs = [...this.#dirtyDirs];
    this.#dirtyDirs.clear();
    await forEachLimited(dirs, FLUSH_PARALLELISM, (dir) => syncDirectory(dir));
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
    this.#dirtyDirs.add(join(this.#root, hex.slice(0, 2)));
    this.#removals++;
    return size;
  }

  /** Block files removed by this process so far (gc): tells a cached folder size that it is stale. */
  get removals(): number {
    return this.#removals;
  }

  /** Every block file on disk (name must be 64 hex digits; anything else is skipped). */
  async *list(): AsyncGenerator<string> {
    for (const prefix of await readdirSafe(this.#root)) {
      for (const name of await readdirSafe(join(this.#root, prefix))) {
        if (/^[0-9a-f]{64}$/.test(name) && name.startsWith(prefix)) yield name;
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
