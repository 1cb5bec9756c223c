import { hasCode } from '../errors.js';
import { forEachLimited } from '../task-pool.js';
import type { ImageStore } from './image-store.js';
import type { VersionRecord } from './records.js';

/** One thing wrong in the store, located by image, version and block. */
export interface StoreProblem {
  readonly kind: 'block-missing' | 'block-damaged' | 'manifest-damaged' | 'refcount-mismatch';
  readonly image?: string;
  readonly version?: number;
  /** Index of the block within the version's manifest. */
  readonly block?: number;
  readonly offset?: number;
  readonly hash?: string;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly versions: number;
  readonly checkedBlocks: number;
  readonly checkedBytes: number;
  readonly problems: readonly StoreProblem[];
}

interface BlockUse {
  readonly version: VersionRecord;
  readonly index: number;
  readonly offset: number;
}

/**
 * Re-reads and re-hashes every block any version references, and decodes every manifest.
 * Each bad block is reported once per version and block index that uses it, so the
 * technician sees exactly which versions are hurt. Read-only; holds the writer lock so the
 * picture is consistent.
 */
export async function verifyStore(store: ImageStore): Promise<VerifyReport> {
  return store.lock.run(async () => {
    const problems: StoreProblem[] = [];
    const versions = await store.index.allVersions();
    const uses = await collectUses(store, versions, problems);
    checkRefCounts(await store.index.allRefs(), uses, problems);
    let checkedBlocks = 0;
    let checkedBytes = 0;
    await forEachLimited(uses.keys(), 4, async (hex) => {
      const raw = await store.blocks.read(Buffer.from(hex, 'hex')).catch((err: unknown) => err);
      checkedBlocks++;
      if (raw instanceof Buffer) {
        checkedBytes += raw.byteLength;
        return;
      }
      const kind = hasCode(raw, 'RC_ERR_STORE_BLOCK_MISSING') ? 'block-missing' : 'block-damaged';
      for (const use of uses.get(hex) ?? []) {
        problems.push({ kind, image: use.version.image, version: use.version.version, block: use.index, offset: use.offset, hash: hex, message: (raw as Error).message });
      }
    });
    const report = { ok: problems.length === 0, versions: versions.length, checkedBlocks, checkedBytes, problems };
    store.log.info({ ok: report.ok, problems: problems.length, blocks: checkedBlocks }, 'store verified');
    return report;
  });
}

async function collectUses(store: ImageStore, versions: readonly VersionRecord[], problems: StoreProblem[]): Promise<Map<string, BlockUse[]>> {
  const uses = new Map<string, BlockUse[]>();
  for (const version of versions) {
    const manifest = await store.readManifest(version).catch((err: unknown) => err);
    if (manifest instanceof Error) {
      problems.push({ kind: 'manifest-damaged', image: version.image, version: version.version, message: manifest.message });
      continue;
    }
    for (const block of (manifest as Awaited<ReturnType<ImageStore['readManifest']>>).blocks) {
      const hex = Buffer.from(block.hash).toString('hex');
      const list = uses.get(hex) ?? [];
      list.push({ version, index: block.index, offset: block.offset });
      uses.set(hex, list);
    }
  }
  return uses;
}

/** Reference counts must equal the number of versions using each block. */
function checkRefCounts(refs: ReadonlyMap<string, number>, uses: ReadonlyMap<string, BlockUse[]>, problems: StoreProblem[]): void {
  for (const [hex, list] of uses) {
    const expected = new Set(list.map((u) => `${u.version.image}@${u.version.version}`)).size;
    const actual = refs.get(hex) ?? 0;
    if (actual !== expected) problems.push({ kind: 'refcount-mismatch', hash: hex, message: `block ${hex} is counted ${actual} times but ${expected} versions use it` });
  }
}
