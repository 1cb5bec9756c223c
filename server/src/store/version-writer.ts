import type { Manifest } from '@rackcast/wire';
import { compressBlock, decompressBlock, hashBlock } from './block-codec.js';
import type { ImageStore } from './image-store.js';
import type { VersionMeta, VersionRecord } from './records.js';

/** Result of adding one block: its address and whether its bytes had to be written. */
export interface AddedBlock {
  readonly hash: Uint8Array;
  readonly hex: string;
  /** Bytes written to the store (0 when the block was already there). */
  readonly storedBytes: number;
}

/**
 * Collects the blocks of one new version. Blocks already in the store (committed by any
 * version) or already added by this writer are not written again: that is the dedup between
 * versions. Nothing is visible until `commit`; an abandoned writer leaves only unreferenced
 * block files, which gc removes.
 */
export class VersionWriter {
  readonly #store: ImageStore;
  readonly name: string;
  /** Blocks this writer wrote, with their stored size. */
  readonly #written = new Map<string, number>();
  readonly #held = new Set<string>();
  #closed = false;

  constructor(store: ImageStore, name: string) {
    this.#store = store;
    this.name = name;
  }

  /** Hashes a block and stores it unless the store already has it. */
  async addBlock(raw: Buffer): Promise<AddedBlock> {
    const hash = hashBlock(raw);
    const hex = Buffer.from(hash).toString('hex');
    this.#hold(hex);
    if (this.#written.has(hex) || (await this.#store.index.refCount(hex)) > 0) {
      return { hash, hex, storedBytes: 0 };
    }
    // Reserve before the await so a concurrent add of the same content does not write twice.
    this.#written.set(hex, 0);
    const frame = await compressBlock(raw);
    await this.#store.blocks.write(hex, frame);
    this.#written.set(hex, frame.byteLength);
    return { hash, hex, storedBytes: frame.byteLength };
  }

  /**
   * True when the store has this block: committed by any version, or added by this writer.
   * Either way this writer holds it from now on, so gc keeps it until commit or abort.
   */
  async holdBlock(hex: string): Promise<boolean> {
    this.#hold(hex);
    return this.#written.has(hex) || (await this.#store.index.refCount(hex)) > 0;
  }

  /**
   * Holds blocks the new version will reference without adding them (a capture delta's blocks
   * reused from its base): gc keeps them until commit or abort, even if the base version is
   * removed (retention) meanwhile. No index read: they are known to be stored.
   */
  holdReferenced(hexes: Iterable<string>): void {
    for (const hex of hexes) this.#hold(hex);
  }

  /** holdBlock for many blocks, with one batched index read. */
  async holdBlocks(hexes: readonly string[]): Promise<boolean[]> {
    for (const hex of hexes) this.#hold(hex);
    const counts = await this.#store.index.refCounts(hexes);
    return hexes.map((hex, i) => this.#written.has(hex) || (counts[i] ?? 0) > 0);
  }

  /**
   * Stores a block that arrives already framed (a capture upload): the frame must decompress to
   * bytes whose hash is `hash` (RC_ERR_STORE_BLOCK_DAMAGED otherwise, and nothing is written),
   * then it is written as it came, without recompressing.
   */
  async addFrame(hash: Uint8Array, frame: Uint8Array): Promise<AddedBlock> {
    const hex = Buffer.from(hash).toString('hex');
    await decompressBlock(frame, hash, hex);
    // Checked again after the await: a concurrent upload of the same block may have reserved it.
    if ((await this.holdBlock(hex)) || this.#written.has(hex)) return { hash, hex, storedBytes: 0 };
    this.#written.set(hex, 0);
    await this.#store.blocks.write(hex, frame);
    this.#written.set(hex, frame.byteLength);
    return { hash, hex, storedBytes: frame.byteLength };
  }

  /**
   * Takes over a block file an earlier writer left uncommitted (a capture whose server restarted
   * mid-upload), after re-reading and verifying it; false when there is none or it is damaged.
   * Dedup never trusts a file's existence alone: only a verified one counts.
   */
  async adoptStored(hash: Uint8Array): Promise<boolean> {
    const hex = Buffer.from(hash).toString('hex');
    const size = await this.#store.blocks.sizeOf(hex);
    if (size === undefined) return false;
    const ok = await this.#store.blocks.read(hash).then(() => true, () => false);
    if (!ok) return false;
    this.#hold(hex);
    // Written again by no one: flush() at commit will not fsync it, so do it here.
    this.#store.blocks.markUnsynced(hex);
    this.#written.set(hex, size);
    return true;
  }

  /** Makes the version visible; the manifest must name only blocks added or already stored. */
  async commit(manifest: Manifest, meta: VersionMeta): Promise<VersionRecord> {
    try {
      return await this.#store.commitManifest(this.name, manifest, meta, this.#written);
    } finally {
      this.abort();
    }
  }

  /** Releases this writer's hold on its blocks without committing. */
  abort(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const hex of this.#held) this.#store.release(hex);
    this.#held.clear();
  }

  #hold(hex: string): void {
    if (this.#held.has(hex)) return;
    this.#held.add(hex);
    this.#store.hold(hex);
  }
}
