import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { blake3 } from '@napi-rs/blake-hash';
import { BlockEncoding, encodeBlockFrame, HashAlgorithm, sealBlock, type Manifest } from '@rackcast/wire';
import { BlockPipeline, splitByRanges, verifyOnTarget, type ByteRange } from './block-pipeline.js';
import { openBlockTarget } from './block-target.js';

/*
 * The deferred boot area: blocks over it are verified and written like any other, except that
 * their bytes inside the deferred ranges reach the disk only at flushHeld(), after every other
 * block. Until then the target holds what it had there (zeros after the boot-area wipe), so an
 * interrupted restore never looks bootable, and a resumed one re-fetches those blocks.
 */

const BLOCK = 4096;
const KEY = randomBytes(32);
const SESSION = 5;

function stream(count: number): { manifest: Manifest; raws: Buffer[]; sealed: Buffer[] } {
  const raws = Array.from({ length: count }, () => randomBytes(BLOCK));
  const blocks = raws.map((raw, index) => ({ index, offset: index * BLOCK, length: BLOCK, hash: blake3(raw) }));
  const sealed = raws.map((raw, i) => sealBlock(KEY, SESSION, i, encodeBlockFrame({ encoding: BlockEncoding.Raw, rawLength: raw.byteLength, payload: raw })));
  const manifest: Manifest = { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: BLOCK, diskSize: count * BLOCK, partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(0) }, blocks };
  return { manifest, raws, sealed };
}

test('splitByRanges: parts of a block inside the ranges, relative, merged and sorted', () => {
  const ranges: ByteRange[] = [{ offset: 8192, length: 100 }, { offset: 0, length: 512 }, { offset: 400, length: 300 }];
  assert.deepEqual(splitByRanges(0, 4096, ranges), [[0, 700]]);
  assert.deepEqual(splitByRanges(4096, 4096, ranges), []);
  assert.deepEqual(splitByRanges(8000, 4096, ranges), [[192, 292]]);
  assert.deepEqual(splitByRanges(8150, 100, ranges), [[42, 100]]);
  assert.deepEqual(splitByRanges(8150, 20, ranges), [], 'a block that ends before the range');
});

test('bytes over deferred ranges reach the disk only at flushHeld, after every other block', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rackcast-deferred-'));
  try {
    const { manifest, raws, sealed } = stream(6);
    const path = join(dir, 'disk.img');
    const target = await openBlockTarget(path, manifest.diskSize);
    // The head (MBR + a bit of block 1) and a range inside the last block, like a backup GPT.
    const deferred: ByteRange[] = [{ offset: 0, length: BLOCK + 512 }, { offset: 5 * BLOCK + 1024, length: 2048 }];
    const written: number[] = [];
    const pipeline = new BlockPipeline({
      manifest, key: KEY, sessionId: SESSION, target, concurrency: 2, maxQueued: 16, deferred,
      onWritten: (b) => written.push(b), onRejected: () => assert.fail('rejected'), onError: (err) => assert.fail(String(err)),
    });
    for (let i = 0; i < raws.length; i++) pipeline.push(i, sealed[i] as Buffer);
    await pipeline.drain();
    assert.deepEqual(written.sort(), [0, 1, 2, 3, 4, 5], 'every block is verified and counted as written');
    assert.equal(pipeline.heldBytes, BLOCK + 512 + 2048);
    const before = await readFile(path);
    assert.ok(before.subarray(0, BLOCK + 512).equals(Buffer.alloc(BLOCK + 512)), 'the deferred head is still zeros');
    assert.ok(before.subarray(BLOCK + 512, 2 * BLOCK).equals((raws[1] as Buffer).subarray(512)), 'the rest of block 1 is written');
    assert.ok(before.subarray(5 * BLOCK + 1024, 5 * BLOCK + 3072).equals(Buffer.alloc(2048)), 'the deferred tail range is still zeros');
    assert.ok(before.subarray(5 * BLOCK, 5 * BLOCK + 1024).equals((raws[5] as Buffer).subarray(0, 1024)));
    // An interruption here: a resumed run would find blocks 0, 1 and 5 do not verify, and fetch them again.
    assert.deepEqual(await Promise.all([0, 1, 2, 5].map((b) => verifyOnTarget(target, manifest, b))), [false, false, true, false]);
    await pipeline.flushHeld();
    await target.sync();
    assert.ok((await readFile(path)).equals(Buffer.concat(raws)), 'after the flush the disk is the image');
    assert.equal(pipeline.heldBytes, 0);
    await target.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a target smaller than the image: a block past its end is written up to the end only, and verifies by its inside hash', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rackcast-clip-'));
  try {
    const { manifest, raws, sealed } = stream(6);
    const path = join(dir, 'disk.img');
    const size = 5 * BLOCK + 1536;
    await writeFile(path, Buffer.alloc(size));
    const target = await openBlockTarget(path, manifest.diskSize, size);
    const written: number[] = [];
    const pipeline = new BlockPipeline({
      manifest, key: KEY, sessionId: SESSION, target, concurrency: 2, maxQueued: 16, deferred: [{ offset: 0, length: 512 }],
      onWritten: (b) => written.push(b), onRejected: () => assert.fail('rejected'), onError: (err) => assert.fail(String(err)),
    });
    for (let i = 0; i < raws.length; i++) pipeline.push(i, sealed[i] as Buffer);
    await pipeline.drain();
    await pipeline.flushHeld();
    await target.sync();
    assert.deepEqual(written.sort(), [0, 1, 2, 3, 4, 5], 'the clipped block counts as written');
    const disk = await readFile(path);
    assert.equal(disk.byteLength, size, 'nothing is written past the end (a file target does not grow)');
    assert.ok(disk.equals(Buffer.concat(raws).subarray(0, size)));
    assert.deepEqual([...pipeline.clippedHashes.keys()], [5]);
    const inside = pipeline.clippedHashes.get(5);
    assert.equal(await verifyOnTarget(target, manifest, 5), false, 'without the inside hash (a resume) it is fetched again');
    assert.equal(await verifyOnTarget(target, manifest, 5, inside), true);
    await target.write(Buffer.from([disk[size - 1] === 0 ? 1 : 0]), size - 1);
    assert.equal(await verifyOnTarget(target, manifest, 5, inside), false, 'a changed byte inside the target is caught');
    await target.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
