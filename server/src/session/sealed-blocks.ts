import { sealBlockParts, type Manifest, type SealedParts } from '@rackcast/wire';
import type { SealedBlockSource } from '../net/multicast/index.js';
import type { ImageStore } from '../store/index.js';

/**
 * Sealed blocks of one session, for multicast passes and HTTP backfill alike. Each block's
 * frame is verified against its hash the first time it is read (a damaged block is never
 * sent); sealed blocks are kept in a small LRU, since repair passes and stragglers ask for
 * the same blocks again.
 */
export class SealedBlocks implements SealedBlockSource {
  readonly #store: ImageStore;
  readonly #manifest: Manifest;
  readonly #key: Uint8Array;
  readonly #sessionId: number;
  readonly #cache = new Map<number, SealedParts>();
  /** Blocks whose frame already decompressed to its hash once in this session. */
  readonly #verified = new Set<number>();
  readonly #maxCacheBytes: number;
  #cacheBytes = 0;

  constructor(store: ImageStore, manifest: Manifest, key: Uint8Array, sessionId: number, maxCacheBytes = 32 * 1024 * 1024) {
    this.#store = store;
    this.#manifest = manifest;
    this.#key = key;
    this.#sessionId = sessionId;
    this.#maxCacheBytes = maxCacheBytes;
  }

  async sealed(index: number): Promise<SealedParts> {
    const hit = this.#cache.get(index);
    if (hit) {
      this.#cache.delete(index);
      this.#cache.set(index, hit);
      return hit;
    }
    const block = this.#manifest.blocks[index];
    if (!block) throw new RangeError(`block ${index} is not in the manifest`);
    // Verify once per session: repair passes and backfill re-read evicted blocks, and
    // decompressing and re-hashing them each time was work done twice on the send path.
    const frame = this.#verified.has(index) ? await this.#store.readFrame(block.hash) : await this.#store.readVerifiedFrame(block.hash);
    this.#verified.add(index);
    const sealed = sealBlockParts(this.#key, this.#sessionId, index, frame);
    this.#remember(index, sealed);
    return sealed;
  }

  #remember(index: number, sealed: SealedParts): void {
    this.#cache.set(index, sealed);
    this.#cacheBytes += sealed.body.byteLength + sealed.tag.byteLength;
    for (const [oldest, value] of this.#cache) {
      if (this.#cacheBytes <= this.#maxCacheBytes) break;
      this.#cache.delete(oldest);
      this.#cacheBytes -= value.body.byteLength + value.tag.byteLength;
    }
  }
}
