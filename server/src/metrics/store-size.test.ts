import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HashAlgorithm, type BlockEntry } from '@rackcast/wire';
import { collectGarbage, ImageStore } from '../store/index.js';
import { StoreSizeProbe, storeChangeKey } from './store-size.js';

const BLOCK = 64 * 1024;
const block = (seed: number): Buffer => Buffer.alloc(BLOCK, seed);

test('the block folder is walked again only when versions change or gc removes blocks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rc-store-size-'));
  const store = await ImageStore.open({ dir, blockSize: BLOCK, keepVersions: 0 });
  try {
    const probe = new StoreSizeProbe(store);
    const key = async (): Promise<string> => storeChangeKey(await store.index.allVersions(), store.blocks.removals);
    const writer = store.beginVersion('small');
    const blocks: BlockEntry[] = [];
    for (const seed of [1, 2, 3]) {
      const { hash } = await writer.addBlock(block(seed));
      blocks.push({ index: blocks.length, offset: blocks.length * BLOCK, length: BLOCK, hash });
    }
    await writer.commit({ hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: BLOCK, diskSize: 3 * BLOCK, partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(0) }, blocks }, { source: { kind: 'import', file: 'small.img', format: 'raw' } });
    const first = await probe.read(await key());
    assert.equal(first.blocks, 3);
    assert.ok(first.bytes > 0);

    // A stray block file (an abandoned writer's) changes neither key: the kept answer stands.
    await store.blocks.write('ab'.repeat(32), block(9));
    assert.deepEqual(await probe.read(await key()), first, 'no walk while nothing committed or removed');

    // gc removes it: the key changes and the new walk agrees with the first.
    assert.equal((await collectGarbage(store)).removedBlocks, 1);
    assert.deepEqual(await probe.read(await key()), first);

    // A new version is seen at once.
    const more = store.beginVersion('more');
    const { hash } = await more.addBlock(block(4));
    await more.commit({ hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: BLOCK, diskSize: BLOCK, partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(0) }, blocks: [{ index: 0, offset: 0, length: BLOCK, hash }] }, { source: { kind: 'import', file: 'more.img', format: 'raw' } });
    assert.equal((await probe.read(await key())).blocks, 4);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
