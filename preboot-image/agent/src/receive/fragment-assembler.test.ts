import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { blake3 } from '@napi-rs/blake-hash';
import { compressSync } from 'lz4-napi';
import {
  BlockEncoding, DatagramType, encodeBlockFrame, fragmentCountFor, fragmentRange, HashAlgorithm, sealBlock,
  type DataDatagram, type Manifest,
} from '@rackcast/wire';
import { mulberry32 } from '@rackcast/wire/fuzz-random';
import { BlockPipeline } from './block-pipeline.js';
import { openBlockTarget } from './block-target.js';
import { FragmentAssembler } from './fragment-assembler.js';

const BLOCK = 64 * 1024;
const FRAGMENT = 1436;


/** A disk of `count` blocks: compressible, incompressible and short ones, sealed for session 7. */
function makeStream(count: number, key: Buffer) {
  const raws: Buffer[] = [];
  const sealed: Buffer[] = [];
  const blocks: Manifest['blocks'][number][] = [];
  for (let i = 0; i < count; i++) {
    const raw = i % 3 === 0 ? randomBytes(BLOCK) : Buffer.alloc(i === count - 1 ? BLOCK / 2 : BLOCK, `block ${i} `);
    const lz4 = compressSync(raw);
    const frame = lz4.byteLength < raw.byteLength
      ? encodeBlockFrame({ encoding: BlockEncoding.Lz4, rawLength: raw.byteLength, payload: lz4 })
      : encodeBlockFrame({ encoding: BlockEncoding.Raw, rawLength: raw.byteLength, payload: raw });
    raws.push(raw);
    sealed.push(sealBlock(key, 7, i, frame));
    blocks.push({ index: i, offset: i * BLOCK, length: raw.byteLength, hash: blake3(raw) });
  }
  const manifest: Manifest = { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: BLOCK, diskSize: count * BLOCK, partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(0) }, blocks };
  return { raws, sealed, manifest };
}

function datagram(sealed: Buffer, block: number, f: number, pass: number): DataDatagram {
  const [start, end] = fragmentRange(f, sealed.byteLength, FRAGMENT);
  return { type: DatagramType.Data, sessionId: 7, senderId: 1, sequence: 0, pass, blockIndex: block, fragmentIndex: f,
    fragmentCount: fragmentCountFor(sealed.byteLength, FRAGMENT), sealedLength: sealed.byteLength, payload: Buffer.from(sealed.subarray(start, end)) };
}

for (const [name, budget, loss] of [['in memory', 64 << 20, 0.05], ['spilling to the target', 3 * BLOCK, 0.05], ['spilling, heavy loss', 2 * BLOCK, 0.3]] as const) {
  test(`lossy passes with duplicates, ${name}: the target equals the source`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rc-assemble-'));
    try {
      const key = randomBytes(32);
      const { raws, sealed, manifest } = makeStream(40, key);
      const target = await openBlockTarget(join(dir, 'disk.img'), manifest.diskSize);
      const done = new Set<number>();
      let failure: unknown = null;
      const pipeline = new BlockPipeline({ manifest, key, sessionId: 7, target, concurrency: 4, maxQueued: 1000,
        onWritten: (b) => done.add(b), onRejected: (b) => { failure ??= new Error(`block ${b} rejected`); }, onError: (e) => { failure ??= e; } });
      const assembler = new FragmentAssembler({ manifest, fragmentSize: FRAGMENT, target, memoryBudget: budget,
        onComplete: (b, s) => pipeline.push(b, s), onError: (e) => { failure ??= e; } });
      const random = mulberry32(budget + Math.round(loss * 100));
      const settled = (b: number) => done.has(b) || pipeline.isPending(b) || assembler.isCompleting(b);
      // Pass 1 sends everything; later passes send the union of what is missing plus, as a
      // multicast repair does, fragments this receiver already has (another receiver missed them).
      let items: { block: number; fragments: number[] }[] = sealed.map((s, block) => ({ block, fragments: [...Array(fragmentCountFor(s.byteLength, FRAGMENT)).keys()] }));
      for (let pass = 1; pass <= 60 && items.length > 0; pass++) {
        for (const { block, fragments } of items) {
          for (const f of fragments) {
            const copies = random() < 0.05 ? 2 : 1;
            for (let c = 0; c < copies; c++) {
              if (random() < loss || settled(block)) continue;
              assembler.accept(datagram(sealed[block] as Buffer, block, f, pass));
            }
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
        await pipeline.drain();
        const missing = assembler.missing(sealed.length, settled);
        items = missing.flatMap((e) => {
          if (e.kind === 'blocks') return [...Array(e.count).keys()].map((k) => ({ block: e.first + k, fragments: [...Array(fragmentCountFor((sealed[e.first + k] as Buffer).byteLength, FRAGMENT)).keys()] }));
          const all = [...Array(e.fragmentCount).keys()];
          return [{ block: e.block, fragments: all.filter((f) => ((e.bitmap[f >> 3] ?? 0) >> (f & 7)) & 1 || random() < 0.2) }];
        });
      }
      // As the receiver does: wait until every block is written (a spilled block may still be
      // being read back), bounded, before closing the target.
      for (let i = 0; i < 500 && done.size < raws.length && failure === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        await pipeline.drain();
      }
      await target.sync();
      await target.close();
      assert.equal(failure, null, String(failure));
      assert.equal(done.size, raws.length, 'every block was written');
      if (budget < BLOCK * 10) assert.ok(assembler.spilledBlocks > 0, 'the budget forced spills');
      const written = await readFile(join(dir, 'disk.img'));
      const expected = Buffer.alloc(manifest.diskSize);
      raws.forEach((r, i) => r.copy(expected, i * BLOCK));
      assert.equal(createHash('sha256').update(written).digest('hex'), createHash('sha256').update(expected).digest('hex'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('partialBefore: the missing fragments of partial blocks below the frontier, lowest first, as asked', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rc-assemble-'));
  try {
    const key = randomBytes(32);
    const { sealed, manifest } = makeStream(10, key);
    const target = await openBlockTarget(join(dir, 'disk.img'), manifest.diskSize);
    const completed: number[] = [];
    const assembler = new FragmentAssembler({ manifest, fragmentSize: FRAGMENT, target, memoryBudget: 64 << 20, onComplete: (b) => completed.push(b), onError: (e) => { throw e; } });
    const count = (b: number) => fragmentCountFor((sealed[b] as Buffer).byteLength, FRAGMENT);
    // Blocks 0, 3, 6 and 9 are incompressible (many fragments). Block 6 arrives first (so
    // insertion order is not block order) and loses fragment 1; 0 loses fragments 0 and the
    // last; 3 arrives whole; 9 loses fragment 5.
    const skip: Record<number, number[]> = { 6: [1], 0: [0, count(0) - 1], 3: [], 9: [5] };
    for (const b of [6, 0, 3, 9]) for (let f = 0; f < count(b); f++) if (!(skip[b] ?? []).includes(f)) assembler.accept(datagram(sealed[b] as Buffer, b, f, 1));
    assert.deepEqual(completed, [3]);
    const missing = (e: { bitmap: Uint8Array; fragmentCount: number }) => [...Array(e.fragmentCount).keys()].filter((f) => ((e.bitmap[f >> 3] ?? 0) >> (f & 7)) & 1);
    const below9 = assembler.partialBefore(9, () => true, 10);
    assert.deepEqual(below9.map((e) => [e.block, missing(e)]), [[0, [0, count(0) - 1]], [6, [1]]], 'block 9 is at the frontier: not asked yet');
    assert.deepEqual(assembler.partialBefore(99, () => true, 10).map((e) => e.block), [0, 6, 9]);
    assert.deepEqual(assembler.partialBefore(99, (b) => b !== 6, 10).map((e) => e.block), [0, 9], 'a block asked for recently is left out');
    assert.deepEqual(assembler.partialBefore(99, () => true, 1).map((e) => e.block), [0], 'at most max blocks, lowest first');
    await target.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
