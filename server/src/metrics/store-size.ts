import type { ImageStore, VersionRecord } from '../store/index.js';

/** What the block folder holds: files and the bytes they take (compressed). */
export interface BlockFolderSize {
  readonly blocks: number;
  readonly bytes: number;
}

/** Stats at once per batch: enough to overlap the disk's latency, few enough to leave it to others. */
const STAT_BATCH = 64;

async function measure(store: ImageStore): Promise<BlockFolderSize> {
  let blocks = 0;
  let bytes = 0;
  let batch: string[] = [];
  const flush = async (): Promise<void> => {
    for (const size of await Promise.all(batch.map((hex) => store.blocks.sizeOf(hex)))) {
      if (size === undefined) continue; // removed by gc between listing and stat
      blocks++;
      bytes += size;
    }
    batch = [];
  };
  for await (const hex of store.blocks.list()) {
    batch.push(hex);
    if (batch.length >= STAT_BATCH) await flush();
  }
  await flush();
  return { blocks, bytes };
}

/**
 * What changes the block folder: the versions the index holds (imports, captures and removals
 * commit there) and the files gc removed. Blocks of a version still being written count once it
 * commits.
 */
export function storeChangeKey(versions: readonly VersionRecord[], removals: number): string {
  return `${removals}\n${versions.map((v) => `${v.image}/${v.version}`).join('\n')}`;
}

/**
 * The size of the block folder, for scrapes. Walking it costs one stat per block (a million
 * for a terabyte at 1 MiB blocks), so the answer is kept and the folder walked again only when
 * its change key (storeChangeKey) differs from the last walk's: a quiet store is never walked
 * twice, however often it is scraped.
 */
export class StoreSizeProbe {
  readonly #store: ImageStore;
  #last: { size: BlockFolderSize; key: string } | null = null;
  #walking: { key: string; size: Promise<BlockFolderSize> } | null = null;

  constructor(store: ImageStore) {
    this.#store = store;
  }

  /** The size for this change key: the last walk's, or a new walk's. */
  async read(key: string): Promise<BlockFolderSize> {
    if (this.#last?.key === key) return this.#last.size;
    if (this.#walking?.key !== key) {
      const walk = { key, size: measure(this.#store) };
      this.#walking = walk;
      void walk.size.then((size) => {
        if (this.#walking === walk) this.#last = { size, key };
      }, () => undefined).finally(() => {
        if (this.#walking === walk) this.#walking = null;
      });
    }
    return this.#walking.size;
  }
}
