import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { composeVersion, diffManifests, HashAlgorithm, type BlockEntry, type Manifest } from '@rackcast/wire';
import { hasCode } from '../errors.js';
import { ImageStore } from './image-store.js';
import { collectGarbage } from './store-gc.js';
import { verifyStore } from './verify-store.js';

const BLOCK = 64 * 1024;

/** A deterministic block: `seed` picks the content; compressible text plus some noise. */
function block(seed: number, length = BLOCK): Buffer {
  const out = Buffer.alloc(length);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 7 === 0 ? x >>> 24 : 97 + (i % 26);
  }
  return out;
}

async function writeVersion(store: ImageStore, name: string, seeds: readonly number[]) {
  const writer = store.beginVersion(name);
  const blocks: BlockEntry[] = [];
  for (const [i, seed] of seeds.entries()) {
    const { hash } = await writer.addBlock(block(seed));
    blocks.push({ index: i, offset: i * BLOCK, length: BLOCK, hash });
  }
  const manifest: Manifest = { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: BLOCK, diskSize: seeds.length * BLOCK + BLOCK, partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(0) }, blocks };
  return { record: await writer.commit(manifest, { source: { kind: 'import', file: 'test.img', format: 'raw' } }), manifest };
}

async function blockFiles(dir: string): Promise<number> {
  let n = 0;
  for (const prefix of await readdir(join(dir, 'blocks'))) n += (await readdir(join(dir, 'blocks', prefix))).length;
  return n;
}

describe('ImageStore', () => {
  let dir: string;
  let store: ImageStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rc-store-'));
    store = await ImageStore.open({ dir, blockSize: BLOCK, keepVersions: 0 });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a state area written the moment it is made (no read first) keeps what was written', async () => {
    // A sublevel opens on the next tick; a chained batch on it threw "Database is not open".
    const area = store.stateArea<{ n: number }>('fresh-area');
    await area.put('a', { n: 1 });
    const other = store.stateArea<{ n: number }>('fresh-area-2');
    await other.put('b', { n: 2 });
    await other.del('b');
    assert.deepEqual(await area.get('a'), { n: 1 });
    assert.deepEqual(await other.values(), []);
  });

  test('a second version stores only its new blocks and shares the rest', async () => {
    const v1 = await writeVersion(store, 'shared', [1, 2, 3, 4]);
    const v2 = await writeVersion(store, 'shared', [1, 2, 30, 4, 5]);
    assert.equal(v1.record.version, 1);
    assert.equal(v1.record.newBlocks, 4);
    assert.equal(v2.record.version, 2);
    assert.equal(v2.record.newBlocks, 2, 'blocks 30 and 5 are new');
    assert.equal(v2.record.newBytes, 2 * BLOCK);
    assert.equal(await blockFiles(dir), 6);
    const read = await store.readBlock(v2.manifest.blocks[2]?.hash ?? new Uint8Array());
    assert.deepEqual(read, block(30));
  });

  test('identical blocks inside one version are stored once', async () => {
    const before = await blockFiles(dir);
    const v = await writeVersion(store, 'repeats', [100, 100, 100, 101]);
    assert.equal(v.record.newBlocks, 2);
    assert.equal(await blockFiles(dir) - before, 2);
  });

  test('versions resolve by number, latest and time; a missing one names the choices', async () => {
    const versions = await store.listVersions('shared');
    assert.equal((await store.resolveVersion('shared', 'latest')).version, 2);
    assert.equal((await store.resolveVersion('shared', 1)).version, 1);
    assert.equal((await store.resolveVersion('shared', { at: new Date(versions[0]?.createdAt ?? 0) })).version, 1);
    await assert.rejects(store.resolveVersion('shared', 9), (err: Error) => hasCode(err, 'RC_ERR_STORE_VERSION_NOT_FOUND') && /versions: 1 \(/.test(err.message));
    await assert.rejects(store.resolveVersion('shared', { at: new Date('2000-01-01') }), /before the first version/);
    await assert.rejects(store.resolveVersion('nope', 1), (err: Error) => hasCode(err, 'RC_ERR_STORE_IMAGE_NOT_FOUND'));
  });

  test('removing a version keeps shared blocks; gc frees only unshared ones', async () => {
    await store.removeVersion('shared', 1);
    const gc = await collectGarbage(store);
    assert.equal(gc.removedBlocks, 1, 'only block 3 was unique to version 1');
    const v2 = await store.resolveVersion('shared', 2);
    const manifest = await store.readManifest(v2);
    for (const b of manifest.blocks) await store.readBlock(b.hash);
    assert.equal((await verifyStore(store)).ok, true);
  });

  test('a damaged block is reported by image, version and block, and never served', async () => {
    const v = await writeVersion(store, 'fragile', [200, 201, 202]);
    const victim = v.manifest.blocks[1];
    assert.ok(victim);
    const hex = Buffer.from(victim.hash).toString('hex');
    const path = store.blocks.pathOf(hex);
    const bytes = await readFile(path);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    await writeFile(path, bytes);
    await assert.rejects(store.readBlock(victim.hash), (err: Error) => hasCode(err, 'RC_ERR_STORE_BLOCK_DAMAGED'));
    const report = await verifyStore(store);
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems.map((p) => [p.kind, p.image, p.version, p.block, p.offset]), [['block-damaged', 'fragile', 1, 1, BLOCK]]);
    await rm(path);
    const missing = await verifyStore(store);
    assert.deepEqual(missing.problems.map((p) => p.kind), ['block-missing']);
    await store.removeImage('fragile');
    assert.equal((await verifyStore(store)).ok, true);
  });

  test('a damaged manifest makes its version unreadable with a clear code', async () => {
    const v = await writeVersion(store, 'badmanifest', [300]);
    const path = join(dir, 'manifests', `${v.record.manifestDigest}.rcm`);
    const bytes = await readFile(path);
    bytes[40] = (bytes[40] ?? 0) ^ 1;
    await writeFile(path, bytes);
    await assert.rejects(store.readManifest(v.record), (err: Error) => hasCode(err, 'RC_ERR_STORE_MANIFEST_DAMAGED'));
    const report = await verifyStore(store);
    assert.deepEqual(report.problems.map((p) => [p.kind, p.image, p.version]), [['manifest-damaged', 'badmanifest', 1]]);
    await store.removeImage('badmanifest');
  });

  test('a composed version referencing a block the store lacks is refused and nothing changes', async () => {
    const base = await writeVersion(store, 'composed', [400, 401, 402]);
    const next: Manifest = { ...base.manifest, blocks: [base.manifest.blocks[0] as BlockEntry, { index: 1, offset: BLOCK, length: BLOCK, hash: new Uint8Array(32).fill(7) }] };
    const delta = diffManifests(base.manifest, new Uint8Array(32), next);
    const { manifest } = composeVersion(base.manifest, delta);
    const writer = store.beginVersion('composed');
    await assert.rejects(writer.commit(manifest, { source: { kind: 'compose', baseVersion: 1 } }), (err: Error) => hasCode(err, 'RC_ERR_STORE_BLOCK_MISSING'));
    assert.deepEqual((await store.listVersions('composed')).map((v) => v.version), [1]);
  });

  test('a synthetic full version from a delta restores on its own after its base is gone', async () => {
    const base = await writeVersion(store, 'synthetic', [500, 501, 502, 503]);
    const writer = store.beginVersion('synthetic');
    const changed = await writer.addBlock(block(599));
    const next: Manifest = {
      ...base.manifest,
      blocks: [base.manifest.blocks[0], { index: 1, offset: BLOCK, length: BLOCK, hash: changed.hash }, base.manifest.blocks[3]].map((b, i) => ({ ...(b as BlockEntry), index: i })),
    };
    const { manifest, stats } = composeVersion(base.manifest, diffManifests(base.manifest, new Uint8Array(32), next));
    assert.deepEqual(stats, { reusedBlocks: 2, newBlocks: 1, droppedBlocks: 2, newBytes: BLOCK });
    const v2 = await writer.commit(manifest, { source: { kind: 'compose', baseVersion: 1 } });
    assert.equal(v2.newBlocks, 1);
    await store.removeVersion('synthetic', 1);
    await collectGarbage(store);
    const restored = await Promise.all((await store.readManifest(v2)).blocks.map((b) => store.readBlock(b.hash)));
    assert.deepEqual(restored, [block(500), block(599), block(503)]);
  });

  test('bad names are refused before anything is written', async () => {
    for (const name of ['../etc', 'a/b', '', 'x@1', '.hidden', 'a..b', 'x'.repeat(65), 'white space']) {
      assert.throws(() => store.beginVersion(name), (err: Error) => hasCode(err, 'RC_ERR_STORE_BAD_NAME'), name);
    }
  });
});

describe('ImageStore retention and locking', () => {
  test('keepVersions drops the oldest versions; gc frees their unshared blocks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rc-retention-'));
    const store = await ImageStore.open({ dir, blockSize: BLOCK, keepVersions: 2 });
    try {
      await writeVersion(store, 'nightly', [1, 2]);
      await writeVersion(store, 'nightly', [1, 3]);
      await writeVersion(store, 'nightly', [1, 4]);
      assert.deepEqual((await store.listVersions('nightly')).map((v) => v.version), [2, 3]);
      const gc = await collectGarbage(store);
      assert.equal(gc.removedBlocks, 1);
      assert.equal(await blockFiles(dir), 3);
      assert.equal((await verifyStore(store)).ok, true);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a second opener of the same store gets RC_ERR_STORE_LOCKED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rc-lock-'));
    const store = await ImageStore.open({ dir, blockSize: BLOCK, keepVersions: 0 });
    try {
      await assert.rejects(ImageStore.open({ dir, blockSize: BLOCK, keepVersions: 0 }), (err: Error) => hasCode(err, 'RC_ERR_STORE_LOCKED'));
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('gc keeps blocks an open writer holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rc-gc-'));
    const store = await ImageStore.open({ dir, blockSize: BLOCK, keepVersions: 0 });
    try {
      const writer = store.beginVersion('pending');
      const added = await writer.addBlock(block(9));
      assert.equal((await collectGarbage(store)).removedBlocks, 0);
      writer.abort();
      assert.equal((await collectGarbage(store)).removedBlocks, 1);
      await assert.rejects(store.readBlock(added.hash), (err: Error) => hasCode(err, 'RC_ERR_STORE_BLOCK_MISSING'));
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
