import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { collectGarbage, distinctHashes, exportImage, hashBlock, ImageStore, verifyStore, type VersionRecord } from '@rackcast/server';
import { composeVersion, diffManifests, HashAlgorithm, type BlockEntry, type Manifest } from '@rackcast/wire';
import { tempDir } from './helpers/temp-dir.js';

/*
 * Per-image retention on a real store (LevelDB, block files): five versions of one image with
 * `keep: {nightly: 2}`, the last two composed from deltas, one of them against a base that
 * retention deletes before the delta is committed (a capture that started before another
 * version came in). The two kept versions must export bit-exact, and gc must free exactly the
 * blocks only the deleted versions used.
 */

const BLOCK = 4096;
const BLOCKS = 32;
const DISK = (BLOCKS + 8) * BLOCK;

/** Block content from a seed (deterministic, distinct per seed). */
function content(seed: number): Buffer {
  const out = Buffer.alloc(BLOCK);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < BLOCK; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 5 === 0 ? x >>> 24 : seed % 251;
  }
  return out;
}

/** A disk as block seeds by block number; a missing number is a hole (not stored, zeros). */
type Disk = Map<number, number>;

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

function bytesOf(disk: Disk): Buffer {
  const out = Buffer.alloc(DISK);
  for (const [n, seed] of disk) content(seed).copy(out, n * BLOCK);
  return out;
}

/** The manifest of a disk, adding its blocks through `add`. */
async function manifestOf(disk: Disk, add: (raw: Buffer) => Promise<{ hash: Uint8Array }>): Promise<Manifest> {
  const blocks: BlockEntry[] = [];
  for (const n of [...disk.keys()].sort((a, b) => a - b)) {
    const { hash } = await add(content(disk.get(n) as number));
    blocks.push({ index: blocks.length, offset: n * BLOCK, length: BLOCK, hash });
  }
  return { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: BLOCK, diskSize: DISK, partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(0) }, blocks };
}

async function importFull(store: ImageStore, name: string, disk: Disk): Promise<VersionRecord> {
  const writer = store.beginVersion(name);
  return writer.commit(await manifestOf(disk, (raw) => writer.addBlock(raw)), { source: { kind: 'import', file: 'nightly.img', format: 'raw' } });
}

/** Prepares a delta against `base` as a capture does: new blocks stored, base blocks held. Committed later. */
async function prepareDelta(store: ImageStore, base: VersionRecord, disk: Disk) {
  const baseManifest = await store.readManifest(base);
  const writer = store.beginVersion(base.image);
  await writer.holdBlocks(distinctHashes(baseManifest));
  const next = await manifestOf(disk, (raw) => writer.addBlock(raw));
  const { manifest } = composeVersion(baseManifest, diffManifests(baseManifest, new Uint8Array(32), next));
  return { commit: () => writer.commit(manifest, { source: { kind: 'capture', offer: 'delta', baseVersion: base.version } }) };
}

function change(disk: Disk, edits: Record<number, number | null>): Disk {
  const out = new Map(disk);
  for (const [n, seed] of Object.entries(edits)) {
    if (seed === null) out.delete(Number(n));
    else out.set(Number(n), seed);
  }
  return out;
}

let work: Awaited<ReturnType<typeof tempDir>>;
let store: ImageStore;

before(async () => {
  work = await tempDir('retention');
  store = await ImageStore.open({ dir: join(work.path, 'store'), blockSize: BLOCK, keepVersions: 0, keepByImage: { nightly: 2 } });
});

after(async () => {
  await store?.close();
  await work?.remove();
});

describe('per-image retention', () => {
  test('keep 2 of 5: versions 4 and 5 remain, compose against a deleted base does not dangle, gc frees only blocks of 1-3, 4 and 5 export bit-exact', async () => {
    const d1: Disk = new Map(Array.from({ length: BLOCKS }, (_, n) => [n, 1000 + n] as const));
    const d2 = change(d1, { 0: 2000, 1: 2001, 2: 2002, 3: 2003 });
    const d3 = change(d2, { 4: 3004, 5: 3005, 6: 3006, 7: 3007, 31: null });
    const d4 = change(d3, { 8: 4008, 9: 4009, 0: 4000 });
    // Version 5 is a capture that began while 3 was the newest: its delta is against 3.
    const d5 = change(d3, { 12: 5012, 13: 5013, 33: 5033 });
    const other = new Map([[0, 9000], [1, 9001]]);

    const v1 = await importFull(store, 'nightly', d1);
    for (let i = 0; i < 3; i++) await importFull(store, 'other', change(other, { 2: 9100 + i }));
    const v2 = await importFull(store, 'nightly', d2);
    const v3 = await importFull(store, 'nightly', d3);
    assert.deepEqual((await store.listVersions('nightly')).map((v) => v.version), [2, 3], 'retention ran at each commit');
    const pending5 = await prepareDelta(store, v3, d5);
    const v4 = await (await prepareDelta(store, v3, d4)).commit();
    assert.deepEqual((await store.listVersions('nightly')).map((v) => v.version), [3, 4]);
    const v5 = await pending5.commit();
    assert.deepEqual((await store.listVersions('nightly')).map((v) => v.version), [4, 5], 'version 3, the base of 5, is gone');
    assert.deepEqual((await store.listVersions('other')).map((v) => v.version), [1, 2, 3], 'another image keeps all (keepVersions 0)');
    assert.equal(v5.source.baseVersion, 3);

    // Blocks only versions 1-3 used: everything of theirs that 4 and 5 do not reference.
    const hashesOf = async (v: VersionRecord) => new Set(distinctHashes(await store.readManifest(v)));
    const gone = new Set<string>();
    const kept = new Set([...(await hashesOf(v4)), ...(await hashesOf(v5))]);
    for (const disk of [d1, d2, d3]) {
      const m = await manifestOf(disk, (raw) => Promise.resolve({ hash: hashBlock(raw) }));
      for (const hex of distinctHashes(m)) if (!kept.has(hex)) gone.add(hex);
    }
    assert.deepEqual([v1.version, v2.version, v3.version], [1, 2, 3]);
    const gc = await collectGarbage(store);
    assert.equal(gc.removedBlocks, gone.size, `gc freed the ${gone.size} blocks only versions 1-3 used`);
    assert.ok(gone.size >= 9, 'the first versions had blocks of their own');
    const again = await collectGarbage(store);
    assert.equal(again.removedBlocks, 0);
    assert.equal((await verifyStore(store)).ok, true);

    for (const [v, disk] of [[4, d4], [5, d5]] as const) {
      const out = join(work.path, `nightly-${v}.img`);
      await exportImage(store, { name: 'nightly', version: v, out });
      assert.equal(sha(await readFile(out)), sha(bytesOf(disk)), `version ${v} exports bit-exact`);
    }
  });
});
