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

/** Names every version the index holds: when it changes, the block folder has changed too. */
export function versionsKey(versions: readonly VersionRecord[]): string {
  return versions.map((v) => `${v.image}/${v.version}`).join('\n');
}

/**
 * The size of the block folder, for scrapes. Walking it costs one stat per block (a million
 * for a terabyte at 1 MiB blocks), so the answer is kept: measured again when the set of
 * versions changed (import, capture, removal) or when it is older than `maxAgeMs` (gc deletes
 * blocks without touching versions). A stale answer is returned while the new walk runs.
 */
export class StoreSizeProbe {
  readonly #store: ImageStore;
  readonly #maxAgeMs: number;
  #last: { size: BlockFolderSize; key: string; at: number } | null = null;
  #walking: Promise<BlockFolderSize> | null = null;

  constructor(store: ImageStore, maxAgeMs = 60_000) {
    this.#store = store;
    this.#maxAgeMs = maxAgeMs;
  }

  /** The size, measured now if the versions changed since the last walk. */
  async read(key: string): Promise<BlockFolderSize> {
    const last = this.#last;
    if (last !== null && last.key === key) {
      if (Date.now() - last.at > this.#maxAgeMs) void this.#walk(key).catch(() => undefined);
      return last.size;
    }
    return this.#walk(key);
  }

  #walk(key: string): Promise<BlockFolderSize> {
    this.#walking ??= measure(this.#store).then((size) => {
      this.#last = { size, key, at: Date.now() };
      return size;
    }).finally(() => {
      this.#walking = null;
    });
    return this.#walking;
  }
}
