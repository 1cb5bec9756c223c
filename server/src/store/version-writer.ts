import type { Manifest } from '@rackcast/wire';
import { compressBlock, hashBlock } from './block-codec.js';
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
