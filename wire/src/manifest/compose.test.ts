import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { equalBytes } from '../equal-bytes.js';
import { WireError, type WireErrorCode } from '../wire-error.js';
import { composeVersion, diffManifests, type ComposeResult, type DeltaBlock, type ManifestDelta } from './compose.js';
import { decodeManifestDelta, encodeManifestDelta } from './delta-codec.js';
import { HashAlgorithm, type BlockEntry, type HashAlgorithmId, type Manifest } from './manifest.js';
import { decodeManifest, encodeManifest, manifestDigest } from './manifest-codec.js';
import { MAX_PARTITION_TABLE_BYTES } from './validate-manifest.js';
import { int, mulberry32, pick, type Rng } from '../fuzz-random.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const KIB = 1024;
const MIB = 1024 * KIB;

function hashOf(seed: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`block-${seed}`).digest());
}

type Spec = [offset: number, length: number, hashSeed: number];

function manifestOf(blockSize: number, diskSize: number, specs: readonly Spec[], head: Uint8Array = new Uint8Array(0)): Manifest {
  const blocks: BlockEntry[] = specs.map(([offset, length, seed], index) => ({ index, offset, length, hash: hashOf(seed) }));
  return { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize, diskSize, partitionTable: { head, tail: new Uint8Array(0) }, blocks };
}

function newBlock(offset: number, length: number, seed: number): DeltaBlock {
  return { kind: 'new', offset, length, hash: hashOf(seed) };
}

function ref(baseIndex: number, count: number): DeltaBlock {
  return { kind: 'ref', baseIndex, count };
}

function deltaFor(base: Manifest, blocks: DeltaBlock[], change: Partial<ManifestDelta> = {}): ManifestDelta {
  const { hashAlgorithm, blockSize, diskSize, partitionTable } = base;
  return { baseDigest: manifestDigest(encodeManifest(base)), hashAlgorithm, blockSize, diskSize, partitionTable, blocks, ...change };
}

function assertWireError(fn: () => unknown, code: WireErrorCode, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WireError, `expected a WireError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

function hasHash(m: Manifest, hash: Uint8Array): boolean {
  return m.blocks.some((b) => equalBytes(b.hash, hash));
}

/** Base used by most cases: ten 4 KiB blocks with distinct hashes, a gap after block 4. */
const BASE = manifestOf(4 * KIB, 256 * KIB, [
  [0, 4096, 100], [4096, 4096, 101], [8192, 4096, 102], [12288, 4096, 103], [16384, 4096, 104],
  [40960, 4096, 105], [45056, 4096, 106], [49152, 4096, 107], [53248, 4096, 108], [57344, 1000, 109],
], new Uint8Array([1, 2, 3]));

// ---------------------------------------------------------------------------------------------

describe('composeVersion', () => {
  test('all references: the identical version, with the same digest', () => {
    const { manifest, stats } = composeVersion(BASE, deltaFor(BASE, [ref(0, 10)]));
    assert.deepStrictEqual(manifest, BASE);
    assert.deepStrictEqual(stats, { reusedBlocks: 10, newBlocks: 0, droppedBlocks: 0, newBytes: 0 });
    assert.deepStrictEqual(manifestDigest(encodeManifest(manifest)), manifestDigest(encodeManifest(BASE)));
  });

  test('all references split into single-block runs gives the same result', () => {
    const { manifest, stats } = composeVersion(BASE, deltaFor(BASE, Array.from({ length: 10 }, (_, i) => ref(i, 1))));
    assert.deepStrictEqual(manifest, BASE);
    assert.equal(stats.reusedBlocks, 10);
  });

  test('all new: every base block dropped', () => {
    const delta = deltaFor(BASE, [newBlock(0, 4096, 1), newBlock(4096, 2000, 2), newBlock(200 * KIB, 4096, 3)]);
    const { manifest, stats } = composeVersion(BASE, delta);
    assert.deepStrictEqual(manifest, manifestOf(4 * KIB, 256 * KIB, [[0, 4096, 1], [4096, 2000, 2], [200 * KIB, 4096, 3]], BASE.partitionTable.head));
    assert.deepStrictEqual(stats, { reusedBlocks: 0, newBlocks: 3, droppedBlocks: 10, newBytes: 4096 + 2000 + 4096 });
    for (const b of BASE.blocks) assert.ok(!hasHash(manifest, b.hash));
  });

  test('mixed runs of references and new blocks', () => {
    const delta = deltaFor(BASE, [ref(0, 2), newBlock(8192, 4096, 1), ref(3, 2), newBlock(20480, 100, 2), ref(5, 3), newBlock(53248, 4096, 3), ref(9, 1)]);
    const { manifest, stats } = composeVersion(BASE, delta);
    assert.deepStrictEqual(manifest, manifestOf(4 * KIB, 256 * KIB, [
      [0, 4096, 100], [4096, 4096, 101], [8192, 4096, 1], [12288, 4096, 103], [16384, 4096, 104], [20480, 100, 2],
      [40960, 4096, 105], [45056, 4096, 106], [49152, 4096, 107], [53248, 4096, 3], [57344, 1000, 109],
    ], BASE.partitionTable.head));
    assert.deepStrictEqual(stats, { reusedBlocks: 8, newBlocks: 3, droppedBlocks: 2, newBytes: 4096 + 100 + 4096 });
    manifest.blocks.forEach((b, i) => assert.equal(b.index, i));
  });

  test('unreferenced base blocks are dropped and their hashes are absent', () => {
    const { manifest, stats } = composeVersion(BASE, deltaFor(BASE, [ref(0, 3), ref(7, 3)]));
    assert.equal(stats.droppedBlocks, 4);
    assert.equal(stats.reusedBlocks, 6);
    assert.equal(manifest.blocks.length, 6);
    for (const i of [3, 4, 5, 6]) assert.ok(!hasHash(manifest, BASE.blocks[i]?.hash ?? new Uint8Array(0)), `base block ${i} dropped`);
    for (const i of [0, 1, 2, 7, 8, 9]) assert.ok(hasHash(manifest, BASE.blocks[i]?.hash ?? new Uint8Array(0)), `base block ${i} kept`);
  });

  test('an empty delta drops everything', () => {
    const { manifest, stats } = composeVersion(BASE, deltaFor(BASE, []));
    assert.equal(manifest.blocks.length, 0);
    assert.deepStrictEqual(stats, { reusedBlocks: 0, newBlocks: 0, droppedBlocks: 10, newBytes: 0 });
  });

  test('an empty base with only new blocks', () => {
    const base = manifestOf(4 * KIB, 64 * KIB, []);
    const { manifest, stats } = composeVersion(base, deltaFor(base, [newBlock(0, 10, 1)]));
    assert.equal(manifest.blocks.length, 1);
    assert.deepStrictEqual(stats, { reusedBlocks: 0, newBlocks: 1, droppedBlocks: 0, newBytes: 10 });
  });

  test('grown disk: references keep their offsets, new blocks fill the new space', () => {
    const delta = deltaFor(BASE, [ref(0, 10), newBlock(256 * KIB, 4096, 1), newBlock(MIB - 4096, 4096, 2)], { diskSize: MIB });
    const { manifest, stats } = composeVersion(BASE, delta);
    assert.equal(manifest.diskSize, MIB);
    assert.deepStrictEqual(manifest.blocks.slice(0, 10), BASE.blocks);
    assert.equal(manifest.blocks[11]?.offset, MIB - 4096);
    assert.deepStrictEqual(stats, { reusedBlocks: 10, newBlocks: 2, droppedBlocks: 0, newBytes: 8192 });
  });

  test('shrunk disk: referencing a block now past the end is refused', () => {
    const delta = deltaFor(BASE, [ref(0, 10)], { diskSize: 57344 });
    assertWireError(() => composeVersion(BASE, delta), 'RC_ERR_WIRE_INVALID', 'blocks[9].offset');
    const { manifest } = composeVersion(BASE, deltaFor(BASE, [ref(0, 9)], { diskSize: 57344 }));
    assert.equal(manifest.blocks.length, 9);
  });

  test('the partition table comes from the delta, not the base', () => {
    const head = new Uint8Array([9, 9, 9, 9]);
    const tail = new Uint8Array([7]);
    const { manifest } = composeVersion(BASE, deltaFor(BASE, [ref(0, 1)], { partitionTable: { head, tail } }));
    assert.deepStrictEqual(manifest.partitionTable, { head, tail });
  });

  test('neither the base nor the delta is modified', () => {
    const delta = deltaFor(BASE, [ref(0, 2), newBlock(8192, 4096, 1), ref(5, 5)]);
    const baseCopy = structuredClone(BASE);
    const deltaCopy = structuredClone(delta);
    composeVersion(BASE, delta);
    assert.deepStrictEqual(BASE, baseCopy);
    assert.deepStrictEqual(delta, deltaCopy);
  });

  const dangling: { name: string; blocks: DeltaBlock[]; field: string }[] = [
    { name: 'run past the end of the base', blocks: [ref(8, 3)], field: 'blocks[0]' },
    { name: 'run past the end after other items', blocks: [ref(0, 2), newBlock(8192, 4096, 1), ref(5, 6)], field: 'blocks[2]' },
    { name: 'first index equal to the base length', blocks: [ref(10, 1)], field: 'blocks[0]' },
    { name: 'count one more than the base', blocks: [ref(0, 11)], field: 'blocks[0]' },
    { name: 'huge index', blocks: [ref(0xffffffff, 1)], field: 'blocks[0]' },
    { name: 'huge count', blocks: [ref(0, 0xffffffff)], field: 'blocks[0]' },
    { name: 'negative index', blocks: [ref(-1, 2)], field: 'blocks[0]' },
    { name: 'zero count', blocks: [ref(0, 1), ref(1, 0)], field: 'blocks[1]' },
    { name: 'negative count', blocks: [ref(3, -1)], field: 'blocks[0]' },
    { name: 'fractional index', blocks: [ref(0.5, 1)], field: 'blocks[0]' },
    { name: 'fractional count', blocks: [ref(0, 1.5)], field: 'blocks[0]' },
    { name: 'NaN count', blocks: [ref(0, Number.NaN)], field: 'blocks[0]' },
    { name: 'infinite count', blocks: [ref(0, Infinity)], field: 'blocks[0]' },
  ];
  for (const c of dangling) {
    test(`dangling reference (${c.name}) → RC_ERR_MANIFEST_DANGLING_REF (${c.field})`, () => {
      assertWireError(() => composeVersion(BASE, deltaFor(BASE, c.blocks)), 'RC_ERR_MANIFEST_DANGLING_REF', c.field);
    });
  }

  test('a tiny delta of repeated whole-base references fails at the first overlap, without building them all', () => {
    const n = 20_000;
    const hash = hashOf(1);
    const blocks: BlockEntry[] = Array.from({ length: n }, (_, index) => ({ index, offset: index * 4096, length: 4096, hash }));
    const base: Manifest = { ...manifestOf(4 * KIB, n * 4096, []), blocks };
    // 1000 items, 9 KB on the wire; composing them naively would build 20 million blocks.
    const delta = deltaFor(base, Array.from({ length: 1000 }, () => ref(0, n)));
    const started = Date.now();
    assertWireError(() => composeVersion(base, decodeManifestDelta(encodeManifestDelta(delta))), 'RC_ERR_WIRE_INVALID', `blocks[${n}].offset`);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  test('any reference into an empty base dangles', () => {
    const base = manifestOf(4 * KIB, MIB, []);
    assertWireError(() => composeVersion(base, deltaFor(base, [ref(0, 1)])), 'RC_ERR_MANIFEST_DANGLING_REF', 'blocks[0]');
  });

  test('a different block size → RC_ERR_MANIFEST_BASE_MISMATCH (blockSize)', () => {
    assertWireError(() => composeVersion(BASE, deltaFor(BASE, [ref(0, 1)], { blockSize: 8192 })), 'RC_ERR_MANIFEST_BASE_MISMATCH', 'blockSize');
  });

  test('a different hash algorithm → RC_ERR_MANIFEST_BASE_MISMATCH (hashAlgorithm)', () => {
    const delta = deltaFor(BASE, [ref(0, 1)], { hashAlgorithm: 2 as HashAlgorithmId });
    assertWireError(() => composeVersion(BASE, delta), 'RC_ERR_MANIFEST_BASE_MISMATCH', 'hashAlgorithm');
  });

  const invalid: { name: string; blocks: DeltaBlock[]; change?: Partial<ManifestDelta>; field: string }[] = [
    { name: 'a new block overlapping the referenced block before it', blocks: [ref(0, 1), newBlock(2048, 4096, 1)], field: 'blocks[1].offset' },
    { name: 'a reference overlapping the new block before it', blocks: [newBlock(0, 4096, 1), ref(0, 2)], field: 'blocks[1].offset' },
    { name: 'a new block starting one byte inside the referenced block before it', blocks: [newBlock(20480, 4096, 1), ref(5, 1), newBlock(45055, 2, 2), ref(6, 1)], field: 'blocks[2].offset' },
    { name: 'a new block ending one byte into the referenced block after it', blocks: [ref(0, 5), newBlock(36865, 4096, 1), ref(5, 5)], field: 'blocks[6].offset' },
    { name: 'a reference run overlapping a new block inside it', blocks: [ref(0, 1), newBlock(4096, 10, 1), ref(1, 3)], field: 'blocks[2].offset' },
    { name: 'references out of base order', blocks: [ref(3, 1), ref(0, 1)], field: 'blocks[1].offset' },
    { name: 'the same base block referenced twice', blocks: [ref(0, 2), ref(1, 1)], field: 'blocks[2].offset' },
    { name: 'new blocks out of order', blocks: [newBlock(8192, 10, 1), newBlock(0, 10, 2)], field: 'blocks[1].offset' },
    { name: 'a zero-length new block', blocks: [ref(0, 1), newBlock(4096, 0, 1)], field: 'blocks[1].length' },
    { name: 'a new block longer than the block size', blocks: [newBlock(0, 4097, 1)], field: 'blocks[0].length' },
    { name: 'a new block past the disk end', blocks: [ref(0, 1), newBlock(256 * KIB - 1, 2, 1)], field: 'blocks[1].offset' },
    { name: 'a new block with a short hash', blocks: [{ kind: 'new', offset: 0, length: 1, hash: new Uint8Array(16) }], field: 'blocks[0].hash' },
    { name: 'a fractional new-block offset', blocks: [newBlock(0.5, 1, 1)], field: 'blocks[0].offset' },
    { name: 'an invalid disk size', blocks: [], change: { diskSize: -1 }, field: 'diskSize' },
    {
      name: 'an oversized partition-table head',
      blocks: [ref(0, 1)],
      change: { partitionTable: { head: new Uint8Array(MAX_PARTITION_TABLE_BYTES + 1), tail: new Uint8Array(0) } },
      field: 'partitionTable.head',
    },
  ];
  for (const c of invalid) {
    test(`result validated: ${c.name} → RC_ERR_WIRE_INVALID (${c.field})`, () => {
      assertWireError(() => composeVersion(BASE, deltaFor(BASE, c.blocks, c.change)), 'RC_ERR_WIRE_INVALID', c.field);
    });
  }
});

describe('diffManifests', () => {
  test('merges consecutive unchanged blocks into runs and marks changes as new', () => {
    const next = manifestOf(4 * KIB, 256 * KIB, [
      [0, 4096, 100], [4096, 4096, 101], [8192, 4096, 999], [12288, 4096, 103], [16384, 4096, 104],
      [40960, 2048, 105], [49152, 4096, 107], [53248, 4096, 108], [57344, 1000, 109],
    ], BASE.partitionTable.head);
    const digest = manifestDigest(encodeManifest(BASE));
    const delta = diffManifests(BASE, digest, next);
    assert.deepStrictEqual(delta.blocks, [
      ref(0, 2), newBlock(8192, 4096, 999), ref(3, 2), newBlock(40960, 2048, 105), ref(7, 3),
    ]);
    assert.deepStrictEqual(delta.baseDigest, digest);
    assert.deepStrictEqual(composeVersion(BASE, delta).manifest, next);
  });

  test('a block moved to another offset is new even though its content is known', () => {
    const next = manifestOf(4 * KIB, 256 * KIB, [[4096, 4096, 100]]);
    const delta = diffManifests(BASE, new Uint8Array(32), next);
    assert.deepStrictEqual(delta.blocks, [newBlock(4096, 4096, 100)]);
  });
});

// ---------------------------------------------------------------------------------------------
// Property test: diff then compose reproduces the next version exactly.
// ---------------------------------------------------------------------------------------------

interface Slot {
  offset: number;
  length: number;
  hash: Uint8Array;
}

/** Hashes come from a small shared pool sometimes, so equal content at different places occurs. */
function randomHash(rng: Rng): Uint8Array {
  return rng() < 0.2 ? hashOf(int(rng, 0, 4)) : hashOf(int(rng, 1000, 2 ** 30));
}

function randomSlotBlock(rng: Rng, slotStart: number, blockSize: number): Slot {
  const within = rng() < 0.2 ? int(rng, 0, blockSize / 2) : 0;
  const room = blockSize - within;
  return { offset: slotStart + within, length: rng() < 0.7 ? room : int(rng, 1, room), hash: randomHash(rng) };
}

/** Builds a valid manifest from per-slot blocks, clipping blocks at the disk end. */
function fromSlots(blockSize: number, diskSize: number, slots: readonly (Slot | undefined)[], head: Uint8Array): Manifest {
  const blocks: BlockEntry[] = [];
  for (const s of slots) {
    if (s === undefined || s.offset >= diskSize) continue;
    blocks.push({ index: blocks.length, offset: s.offset, length: Math.min(s.length, diskSize - s.offset), hash: s.hash });
  }
  return { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize, diskSize, partitionTable: { head, tail: new Uint8Array(0) }, blocks };
}

function randomDiskSize(rng: Rng, slotCount: number, blockSize: number): number {
  return Math.max(0, slotCount * blockSize - (rng() < 0.4 ? int(rng, 0, blockSize - 1) : 0));
}

function randomPair(rng: Rng): { base: Manifest; next: Manifest } {
  const blockSize = pick(rng, [4096, 8192, 65536, MIB]);
  const baseSlots = int(rng, 0, 60);
  const density = rng();
  const baseBlocks = Array.from({ length: baseSlots }, (_, s) => (rng() < density ? randomSlotBlock(rng, s * blockSize, blockSize) : undefined));
  const head = new Uint8Array(int(rng, 0, 64)).map(() => int(rng, 0, 255));
  const base = fromSlots(blockSize, randomDiskSize(rng, baseSlots, blockSize), baseBlocks, head);
  const mode = rng();
  if (mode < 0.05) return { base, next: base };
  if (mode < 0.08) return { base, next: fromSlots(blockSize, base.diskSize, [], head) };
  const nextSlots = Math.max(0, baseSlots + int(rng, -4, 6));
  const nextHead = rng() < 0.7 ? head : new Uint8Array(int(rng, 0, 64)).map(() => int(rng, 0, 255));
  const keep = mode < 0.15 ? 0 : rng(); // a few unrelated versions
  const fill = rng();
  const nextBlocks = Array.from({ length: nextSlots }, (_, s) => {
    const old = baseBlocks[s];
    if (old === undefined) return rng() < fill * 0.5 ? randomSlotBlock(rng, s * blockSize, blockSize) : undefined;
    const r = rng();
    if (r < keep) return old;
    if (r < keep + (1 - keep) * 0.3) return { ...old, hash: randomHash(rng) }; // content changed
    if (r < keep + (1 - keep) * 0.4) return { ...old, length: int(rng, 1, old.length) }; // same hash, shorter
    if (r < keep + (1 - keep) * 0.5) return { ...randomSlotBlock(rng, s * blockSize, blockSize), hash: old.hash }; // moved
    if (r < keep + (1 - keep) * 0.7) return randomSlotBlock(rng, s * blockSize, blockSize);
    return undefined; // freed
  });
  return { base, next: fromSlots(blockSize, randomDiskSize(rng, nextSlots, blockSize), nextBlocks, nextHead) };
}

/** How many blocks of `next` equal (offset, length, hash) the base block at the same offset. */
function unchangedCount(base: Manifest, next: Manifest): number {
  const byOffset = new Map(base.blocks.map((b) => [b.offset, b]));
  return next.blocks.filter((b) => {
    const old = byOffset.get(b.offset);
    return old !== undefined && old.length === b.length && equalBytes(old.hash, b.hash);
  }).length;
}

function checkStats(result: ComposeResult, base: Manifest, next: Manifest, delta: ManifestDelta): void {
  const { stats } = result;
  const refs = delta.blocks.filter((b) => b.kind === 'ref');
  const news = delta.blocks.filter((b) => b.kind === 'new');
  assert.equal(stats.reusedBlocks + stats.newBlocks, next.blocks.length);
  assert.equal(stats.reusedBlocks + stats.droppedBlocks, base.blocks.length);
  assert.equal(stats.reusedBlocks, refs.reduce((n, r) => n + r.count, 0));
  assert.equal(stats.reusedBlocks, unchangedCount(base, next));
  assert.equal(stats.newBlocks, news.length);
  assert.equal(stats.newBytes, news.reduce((n, b) => n + b.length, 0));
}

function checkRunsMaximal(delta: ManifestDelta): void {
  delta.blocks.forEach((b, i) => {
    const prev = delta.blocks[i - 1];
    if (b.kind === 'ref' && prev?.kind === 'ref') assert.notEqual(prev.baseIndex + prev.count, b.baseIndex, `runs ${i - 1} and ${i} should be merged`);
  });
}

describe('composeVersion(base, diffManifests(base, digest, next)) reproduces next', () => {
  test('for 400 seeded random version pairs, also after an encode/decode round trip of every value', () => {
    const rng = mulberry32(0x5eed_c0de);
    let reused = 0;
    let dropped = 0;
    let fresh = 0;
    for (let round = 0; round < 400; round++) {
      const { base, next } = randomPair(rng);
      const context = `round ${round}`;
      const baseEncoded = encodeManifest(base);
      const digest = manifestDigest(baseEncoded);
      const delta = diffManifests(base, digest, next);
      checkRunsMaximal(delta);

      const direct = composeVersion(base, delta);
      assert.deepStrictEqual(direct.manifest, next, context);
      checkStats(direct, base, next, delta);

      // What the store does: the base read back from disk, the delta from the wire.
      const wireDelta = decodeManifestDelta(encodeManifestDelta(delta));
      assert.deepStrictEqual(wireDelta, delta, context);
      const stored = composeVersion(decodeManifest(baseEncoded), wireDelta);
      assert.deepStrictEqual(stored.manifest, next, context);
      assert.deepStrictEqual(stored.stats, direct.stats, context);
      assert.deepStrictEqual(encodeManifest(stored.manifest), encodeManifest(next), `${context}: same bytes, same digest`);

      reused += direct.stats.reusedBlocks;
      dropped += direct.stats.droppedBlocks;
      fresh += direct.stats.newBlocks;
    }
    // The generator really exercised every kind of change.
    assert.ok(reused > 1000 && dropped > 1000 && fresh > 1000, `reused ${reused}, dropped ${dropped}, new ${fresh}`);
  });
});
