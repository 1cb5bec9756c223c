import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageStore } from './image-store.js';

/** What a garbage collection removed. */
export interface GcReport {
  readonly removedBlocks: number;
  readonly freedBytes: number;
  readonly removedManifests: number;
  readonly removedTemp: number;
}

/**
 * Removes block files no version references (left by removed versions, retention, or an
 * interrupted import), manifest files no version names, and stale temporary files. Runs under
 * the store's writer lock and never touches blocks an open writer holds.
 */
export async function collectGarbage(store: ImageStore): Promise<GcReport> {
  return store.lock.run(async () => {
    const refs = await store.index.allRefs();
    let removedBlocks = 0;
    let freedBytes = 0;
    for await (const hex of store.blocks.list()) {
      if (refs.has(hex) || store.pending.has(hex)) continue;
      freedBytes += await store.blocks.remove(hex);
      removedBlocks++;
    }
    await store.blocks.flush();
    const removedManifests = await removeOrphanManifests(store);
    const removedTemp = await removeStaleTemp(join(store.options.dir, 'tmp'), store.pending.size > 0);
    const report = { removedBlocks, freedBytes, removedManifests, removedTemp };
    store.log.info(report, 'garbage collected');
    return report;
  });
}

async function removeOrphanManifests(store: ImageStore): Promise<number> {
  const named = new Set((await store.index.allVersions()).map((v) => v.manifestDigest));
  let removed = 0;
  for (const digest of await store.manifests.list()) {
    if (named.has(digest)) continue;
    await store.manifests.remove(digest);
    removed++;
  }
  return removed;
}

/** Temporary files of other (dead) processes always go; ours only when no writer is open. */
async function removeStaleTemp(tmp: string, writersOpen: boolean): Promise<number> {
  const names = await readdir(tmp).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const ours = name.split('-')[1] === String(process.pid);
    if (ours && writersOpen) continue;
    await unlink(join(tmp, name)).catch(() => undefined);
    removed++;
  }
  return removed;
}
