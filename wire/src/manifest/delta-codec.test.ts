import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { WireError, type WireErrorCode } from '../wire-error.js';
import type { DeltaBlock, ManifestDelta } from './compose.js';
import { decodeManifestDelta, encodeManifestDelta } from './delta-codec.js';
import { encodeManifest } from './manifest-codec.js';
import { HashAlgorithm, type HashAlgorithmId } from './manifest.js';
import { MAX_BLOCK_SIZE, MAX_PARTITION_TABLE_BYTES } from './validate-manifest.js';

// ---------------------------------------------------------------------------------------------
// Helpers. The raw writer is an independent implementation of the documented RCMD layout
// (docs/manifest-format.md) without validation, used to build inputs the encoder refuses to
// produce; `seal` appends a correct SHA-256 so the decoder gets past the checksum.
// ---------------------------------------------------------------------------------------------

const MIB = 1024 * 1024;
const HEADER = 64;
const NEW_LENGTH = 45;
const REF_LENGTH = 9;

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

function hashOf(seed: number): Uint8Array {
  return sha256(new TextEncoder().encode(`block-${seed}`));
}

function patternBytes(length: number, salt: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 29 + salt) & 0xff;
  return out;
}

function seal(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.byteLength + 32);
  out.set(body);
  out.set(sha256(body), body.byteLength);
  return out;
}

function newBlock(offset: number, length: number, seed: number): DeltaBlock {
  return { kind: 'new', offset, length, hash: hashOf(seed) };
}

function ref(baseIndex: number, count: number): DeltaBlock {
  return { kind: 'ref', baseIndex, count };
}

function deltaOf(blocks: DeltaBlock[], options: { blockSize?: number; diskSize?: number; head?: Uint8Array; tail?: Uint8Array } = {}): ManifestDelta {
  return {
    baseDigest: hashOf(-1),
    hashAlgorithm: HashAlgorithm.Blake3_256,
    blockSize: options.blockSize ?? 4096,
    diskSize: options.diskSize ?? MIB,
    partitionTable: { head: options.head ?? new Uint8Array(0), tail: options.tail ?? new Uint8Array(0) },
    blocks,
  };
}

interface RawDelta {
  magic: number;
  version: number;
  hashAlgorithm: number;
  hashLength: number;
  blockSize: number;
  diskSize: bigint;
  headLength: number;
  tailLength: number;
  baseDigest: Uint8Array;
  itemCount: number;
  head: Uint8Array;
  tail: Uint8Array;
  items: Uint8Array[];
  trailing: Uint8Array;
}

function rawNew(offset: number | bigint, length: number, hash: Uint8Array, tag = 1): Uint8Array {
  const out = new Uint8Array(1 + 8 + 4 + hash.byteLength);
  const v = new DataView(out.buffer);
  v.setUint8(0, tag);
  v.setBigUint64(1, BigInt(offset));
  v.setUint32(9, length);
  out.set(hash, 13);
  return out;
}

function rawRef(baseIndex: number, count: number, tag = 2): Uint8Array {
  const out = new Uint8Array(REF_LENGTH);
  const v = new DataView(out.buffer);
  v.setUint8(0, tag);
  v.setUint32(1, baseIndex);
  v.setUint32(5, count);
  return out;
}

function rawFrom(d: ManifestDelta): RawDelta {
  return {
    magic: 0x52434d44,
    version: 1,
    hashAlgorithm: d.hashAlgorithm,
    hashLength: 32,
    blockSize: d.blockSize,
    diskSize: BigInt(d.diskSize),
    headLength: d.partitionTable.head.byteLength,
    tailLength: d.partitionTable.tail.byteLength,
    baseDigest: d.baseDigest,
    itemCount: d.blocks.length,
    head: d.partitionTable.head,
    tail: d.partitionTable.tail,
    items: d.blocks.map((b) => (b.kind === 'new' ? rawNew(b.offset, b.length, b.hash) : rawRef(b.baseIndex, b.count))),
    trailing: new Uint8Array(0),
  };
}

function rawBody(r: RawDelta): Uint8Array {
  const itemsLength = r.items.reduce((n, item) => n + item.byteLength, 0);
  const out = new Uint8Array(HEADER + r.head.byteLength + r.tail.byteLength + itemsLength + r.trailing.byteLength);
  const v = new DataView(out.buffer);
  v.setUint32(0, r.magic);
  v.setUint16(4, r.version);
  v.setUint8(6, r.hashAlgorithm);
  v.setUint8(7, r.hashLength);
  v.setUint32(8, r.blockSize);
  v.setBigUint64(12, r.diskSize);
  v.setUint32(20, r.headLength);
  v.setUint32(24, r.tailLength);
  out.set(r.baseDigest, 28);
  v.setUint32(60, r.itemCount);
  let at = HEADER;
  for (const part of [r.head, r.tail, ...r.items, r.trailing]) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

function sealedRaw(base: ManifestDelta, change: (r: RawDelta) => void): Uint8Array {
  const r = rawFrom(base);
  change(r);
  return seal(rawBody(r));
}

function assertWireError(fn: () => unknown, code: WireErrorCode, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WireError, `expected a WireError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

function roundTrip(d: ManifestDelta): Uint8Array {
  const encoded = encodeManifestDelta(d);
  const decoded = decodeManifestDelta(encoded);
  assert.deepStrictEqual(decoded, d);
  assert.deepStrictEqual(encodeManifestDelta(decoded), encoded, 're-encoding is byte-identical');
  return encoded;
}

/**
 * Independent oracle for a re-sealed truncated body of `bodyLength` bytes: which field the
 * decoder must name, from the documented layout of `d`.
 */
function truncationField(d: ManifestDelta, bodyLength: number): string {
  if (bodyLength < HEADER) return 'header';
  const { head, tail } = d.partitionTable;
  if (head.byteLength + tail.byteLength + d.blocks.length * REF_LENGTH > bodyLength - HEADER) return 'itemCount';
  let at = HEADER + head.byteLength + tail.byteLength;
  for (const [i, b] of d.blocks.entries()) {
    const fields: [string, number][] = b.kind === 'new'
      ? [['tag', 1], ['offset', 8], ['length', 4], ['hash', 32]]
      : [['tag', 1], ['baseIndex', 4], ['count', 4]];
    for (const [name, size] of fields) {
      if (at + size > bodyLength) return `blocks[${i}].${name}`;
      at += size;
    }
  }
  throw new Error(`body of ${bodyLength} bytes is not truncated`);
}

// A small valid delta used by the rejection tables.
const SMALL = deltaOf([ref(0, 2), newBlock(8192, 4096, 1), ref(3, 1), newBlock(20_480, 10, 2)], { head: patternBytes(24, 1), tail: patternBytes(5, 2) });

// ---------------------------------------------------------------------------------------------

describe('encodeManifestDelta / decodeManifestDelta round trips', () => {
  test('no items (everything of the base dropped, nothing new)', () => {
    const encoded = roundTrip(deltaOf([]));
    assert.equal(encoded.byteLength, HEADER + 32);
  });

  test('only references (an identical version)', () => {
    const encoded = roundTrip(deltaOf([ref(0, 1000)]));
    assert.equal(encoded.byteLength, HEADER + REF_LENGTH + 32);
  });

  test('only new blocks', () => {
    const blocks = Array.from({ length: 500 }, (_, i) => newBlock(i * 4096, 4096, i));
    const encoded = roundTrip(deltaOf(blocks, { diskSize: 500 * 4096 }));
    assert.equal(encoded.byteLength, HEADER + 500 * NEW_LENGTH + 32);
  });

  test('mixed runs', () => {
    roundTrip(SMALL);
    roundTrip(deltaOf([newBlock(0, 1, 1), ref(1, 5), ref(7, 1), newBlock(40_000, 4096, 2), ref(20, 3)]));
  });

  test('GPT-sized head and tail bytes', () => {
    const head = patternBytes(512 + 512 + 128 * 128, 3);
    const tail = patternBytes(128 * 128 + 512, 4);
    const encoded = roundTrip(deltaOf([ref(0, 3), newBlock(MIB, MIB, 5)], { blockSize: MIB, diskSize: 64 * MIB, head, tail }));
    assert.equal(encoded.byteLength, HEADER + head.byteLength + tail.byteLength + REF_LENGTH + NEW_LENGTH + 32);
  });

  test('large offsets near 2^50 and extreme field values the wire can hold', () => {
    roundTrip(deltaOf([newBlock(2 ** 50 - MIB, MIB, 1), ref(0xffffffff, 0xffffffff)], { blockSize: MIB, diskSize: 2 ** 50 }));
    roundTrip(deltaOf([newBlock(Number.MAX_SAFE_INTEGER, 0xffffffff, 1)], { diskSize: Number.MAX_SAFE_INTEGER }));
  });

  test('item semantics are not the codec’s business: zero counts and lengths decode (composeVersion refuses them)', () => {
    roundTrip(deltaOf([ref(0, 0), newBlock(5, 0, 1), newBlock(0, 1, 2)]));
  });

  test('the encoding matches the documented layout byte for byte', () => {
    const encoded = encodeManifestDelta(SMALL);
    assert.deepStrictEqual(encoded, seal(rawBody(rawFrom(SMALL))));
    assert.equal(new TextDecoder().decode(encoded.subarray(0, 4)), 'RCMD');
    assert.deepStrictEqual(encoded.subarray(28, 60), SMALL.baseDigest);
    assert.deepStrictEqual(encoded.subarray(-32), sha256(encoded.subarray(0, -32)));
  });

  test('decodes from a view with a non-zero byteOffset and from a Buffer', () => {
    const encoded = encodeManifestDelta(SMALL);
    const padded = new Uint8Array(encoded.byteLength + 9);
    padded.set(encoded, 5);
    assert.deepStrictEqual(decodeManifestDelta(padded.subarray(5, 5 + encoded.byteLength)), SMALL);
    assert.deepStrictEqual(decodeManifestDelta(Buffer.from(encoded)), SMALL);
  });
});

describe('decodeManifestDelta rejects damaged input', () => {
  test('truncated at every length from 0 to len-1', () => {
    const encoded = encodeManifestDelta(SMALL);
    for (let len = 0; len < encoded.byteLength; len++) {
      const cut = encoded.slice(0, len);
      if (len < HEADER + 32) assertWireError(() => decodeManifestDelta(cut), 'RC_ERR_WIRE_TRUNCATED', 'header');
      else assertWireError(() => decodeManifestDelta(cut), 'RC_ERR_WIRE_CHECKSUM', 'digest');
    }
  });

  test('truncated body re-sealed with a correct digest, at every body length', () => {
    const body = encodeManifestDelta(SMALL).subarray(0, -32);
    const seen = new Set<string>();
    for (let len = 0; len < body.byteLength; len++) {
      const field = truncationField(SMALL, len);
      seen.add(field);
      assertWireError(() => decodeManifestDelta(seal(body.slice(0, len))), 'RC_ERR_WIRE_TRUNCATED', field);
    }
    // The sweep reached the item parser, not just the up-front size check.
    assert.ok(seen.has('blocks[3].hash') && seen.has('blocks[3].length'), [...seen].join(', '));
  });

  test('a flipped bit anywhere (body or digest) fails the checksum', () => {
    const encoded = encodeManifestDelta(SMALL);
    for (let bit = 0; bit < encoded.byteLength * 8; bit++) {
      const damaged = encoded.slice();
      damaged[bit >> 3] = (damaged[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      assertWireError(() => decodeManifestDelta(damaged), 'RC_ERR_WIRE_CHECKSUM', 'digest');
    }
  });

  test('a manifest is not a delta', () => {
    const manifest = encodeManifest({
      hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: 4096, diskSize: MIB,
      partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(64) }, blocks: [],
    });
    assertWireError(() => decodeManifestDelta(manifest), 'RC_ERR_WIRE_BAD_MAGIC', 'magic');
  });

  test('a huge item count with a tiny body fails fast with RC_ERR_WIRE_TRUNCATED', () => {
    const input = sealedRaw(deltaOf([]), (r) => { r.itemCount = 0xffffffff; });
    assert.equal(input.byteLength, HEADER + 32);
    const started = Date.now();
    for (let i = 0; i < 100; i++) assertWireError(() => decodeManifestDelta(input), 'RC_ERR_WIRE_TRUNCATED', 'itemCount');
    // 100 decodes that allocated per declared item (4 billion) would take far longer.
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  test('an item count just past what the body holds as references is refused up front', () => {
    const refs = [ref(0, 1), ref(2, 1), ref(4, 1)];
    assertWireError(() => decodeManifestDelta(sealedRaw(deltaOf(refs), (r) => { r.itemCount = 4; })), 'RC_ERR_WIRE_TRUNCATED', 'itemCount');
  });

  const sealedCases: { name: string; change: (r: RawDelta) => void; code: WireErrorCode; field: string }[] = [
    { name: 'magic of a manifest ("RCMF")', change: (r) => { r.magic = 0x52434d46; }, code: 'RC_ERR_WIRE_BAD_MAGIC', field: 'magic' },
    { name: 'magic zero', change: (r) => { r.magic = 0; }, code: 'RC_ERR_WIRE_BAD_MAGIC', field: 'magic' },
    { name: 'format version 0', change: (r) => { r.version = 0; }, code: 'RC_ERR_WIRE_UNSUPPORTED_VERSION', field: 'formatVersion' },
    { name: 'format version 2', change: (r) => { r.version = 2; }, code: 'RC_ERR_WIRE_UNSUPPORTED_VERSION', field: 'formatVersion' },
    { name: 'format version 0xffff', change: (r) => { r.version = 0xffff; }, code: 'RC_ERR_WIRE_UNSUPPORTED_VERSION', field: 'formatVersion' },
    { name: 'hash length 0', change: (r) => { r.hashLength = 0; }, code: 'RC_ERR_WIRE_INVALID', field: 'hashLength' },
    { name: 'hash length 31', change: (r) => { r.hashLength = 31; }, code: 'RC_ERR_WIRE_INVALID', field: 'hashLength' },
    { name: 'hash length 33', change: (r) => { r.hashLength = 33; }, code: 'RC_ERR_WIRE_INVALID', field: 'hashLength' },
    { name: 'hash algorithm 0', change: (r) => { r.hashAlgorithm = 0; }, code: 'RC_ERR_WIRE_INVALID', field: 'hashAlgorithm' },
    { name: 'hash algorithm 2', change: (r) => { r.hashAlgorithm = 2; }, code: 'RC_ERR_WIRE_INVALID', field: 'hashAlgorithm' },
    { name: 'block size 0', change: (r) => { r.blockSize = 0; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 4097', change: (r) => { r.blockSize = 4097; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 3584 (multiple of 512, below 4 KiB)', change: (r) => { r.blockSize = 3584; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 16 MiB + 512', change: (r) => { r.blockSize = MAX_BLOCK_SIZE + 512; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'disk size 2^53', change: (r) => { r.diskSize = 2n ** 53n; }, code: 'RC_ERR_WIRE_INVALID', field: 'diskSize' },
    { name: 'disk size 2^64 - 1', change: (r) => { r.diskSize = 2n ** 64n - 1n; }, code: 'RC_ERR_WIRE_INVALID', field: 'diskSize' },
    { name: 'item count one too big', change: (r) => { r.itemCount += 1; }, code: 'RC_ERR_WIRE_TRUNCATED', field: 'blocks[4].tag' },
    { name: 'item count 0xffffffff', change: (r) => { r.itemCount = 0xffffffff; }, code: 'RC_ERR_WIRE_TRUNCATED', field: 'itemCount' },
    { name: 'item count one too small (trailing item)', change: (r) => { r.itemCount -= 1; }, code: 'RC_ERR_WIRE_INVALID', field: 'itemCount' },
    { name: 'one trailing byte', change: (r) => { r.trailing = new Uint8Array(1); }, code: 'RC_ERR_WIRE_INVALID', field: 'itemCount' },
    { name: 'a trailing well-formed reference', change: (r) => { r.trailing = rawRef(9, 1); }, code: 'RC_ERR_WIRE_INVALID', field: 'itemCount' },
    { name: 'head length 0xffffffff', change: (r) => { r.headLength = 0xffffffff; }, code: 'RC_ERR_WIRE_TRUNCATED', field: 'itemCount' },
    { name: 'tail length 0xffffffff', change: (r) => { r.tailLength = 0xffffffff; }, code: 'RC_ERR_WIRE_TRUNCATED', field: 'itemCount' },
    {
      name: 'head longer than 1 MiB',
      change: (r) => { r.head = new Uint8Array(MAX_PARTITION_TABLE_BYTES + 1); r.headLength = r.head.byteLength; },
      code: 'RC_ERR_WIRE_INVALID', field: 'partitionTable.head',
    },
    {
      name: 'tail longer than 1 MiB',
      change: (r) => { r.tail = new Uint8Array(MAX_PARTITION_TABLE_BYTES + 1); r.tailLength = r.tail.byteLength; },
      code: 'RC_ERR_WIRE_INVALID', field: 'partitionTable.tail',
    },
    { name: 'unknown item tag 0', change: (r) => { r.items[1] = rawRef(0, 1, 0); }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].tag' },
    { name: 'unknown item tag 3', change: (r) => { r.items[2] = rawRef(0, 1, 3); }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[2].tag' },
    { name: 'unknown item tag 255', change: (r) => { r.items[0] = rawNew(0, 1, hashOf(0), 255); }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].tag' },
    { name: 'new block offset 2^53', change: (r) => { r.items[1] = rawNew(2n ** 53n, 1, hashOf(0)); }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].offset' },
    { name: 'new block offset 2^64 - 1', change: (r) => { r.items[3] = rawNew(2n ** 64n - 1n, 1, hashOf(0)); }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[3].offset' },
    {
      name: 'last new block missing hash bytes',
      change: (r) => { r.items[3] = rawNew(0, 1, new Uint8Array(20)); },
      code: 'RC_ERR_WIRE_TRUNCATED', field: 'blocks[3].hash',
    },
    {
      name: 'a reference tag in front of new-block bytes (items misaligned)',
      change: (r) => { r.items = [rawNew(0, 1, hashOf(0), 2)]; r.itemCount = 1; },
      code: 'RC_ERR_WIRE_INVALID', field: 'itemCount',
    },
  ];

  for (const c of sealedCases) {
    test(`re-sealed: ${c.name} → ${c.code} (${c.field})`, () => {
      assertWireError(() => decodeManifestDelta(sealedRaw(SMALL, c.change)), c.code, c.field);
    });
  }

  test('the raw writer itself produces a decodable delta when nothing is changed', () => {
    assert.deepStrictEqual(decodeManifestDelta(sealedRaw(SMALL, () => undefined)), SMALL);
  });
});

describe('decoded deltas do not alias the input', () => {
  test('mutating the input after decoding leaves digests, hashes and partition-table bytes unchanged', () => {
    const encoded = encodeManifestDelta(SMALL);
    const decoded = decodeManifestDelta(encoded);
    const snapshot = structuredClone(decoded);
    encoded.fill(0x55);
    assert.deepStrictEqual(decoded, snapshot);
    assert.deepStrictEqual(decoded, SMALL);
    assert.notEqual(decoded.baseDigest.buffer, encoded.buffer);
    assert.notEqual(decoded.partitionTable.head.buffer, encoded.buffer);
    for (const b of decoded.blocks) if (b.kind === 'new') assert.notEqual(b.hash.buffer, encoded.buffer);
  });
});

describe('encodeManifestDelta rejects what it cannot encode faithfully', () => {
  const cases: { name: string; d: ManifestDelta; code: WireErrorCode; field: string }[] = [
    { name: 'unknown hash algorithm', d: { ...SMALL, hashAlgorithm: 7 as HashAlgorithmId }, code: 'RC_ERR_WIRE_INVALID', field: 'hashAlgorithm' },
    { name: 'block size 4097', d: { ...SMALL, blockSize: 4097 }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 32 MiB', d: { ...SMALL, blockSize: 32 * MIB }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'negative disk size', d: { ...SMALL, diskSize: -4096 }, code: 'RC_ERR_WIRE_INVALID', field: 'diskSize' },
    { name: 'disk size 2^53', d: { ...SMALL, diskSize: 2 ** 53 }, code: 'RC_ERR_WIRE_INVALID', field: 'diskSize' },
    {
      name: 'head longer than 1 MiB',
      d: { ...SMALL, partitionTable: { head: new Uint8Array(MAX_PARTITION_TABLE_BYTES + 1), tail: new Uint8Array(0) } },
      code: 'RC_ERR_WIRE_INVALID', field: 'partitionTable.head',
    },
    { name: 'base digest of 31 bytes', d: { ...SMALL, baseDigest: new Uint8Array(31) }, code: 'RC_ERR_WIRE_INVALID', field: 'baseDigest' },
    { name: 'base digest of 33 bytes', d: { ...SMALL, baseDigest: new Uint8Array(33) }, code: 'RC_ERR_WIRE_INVALID', field: 'baseDigest' },
    { name: 'new block hash of 31 bytes', d: deltaOf([ref(0, 1), { kind: 'new', offset: 0, length: 1, hash: new Uint8Array(31) }]), code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].hash' },
    { name: 'negative new-block offset', d: deltaOf([newBlock(-1, 1, 1)]), code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].offset' },
    { name: 'fractional new-block offset', d: deltaOf([newBlock(1.5, 1, 1)]), code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].offset' },
    { name: 'new-block offset 2^53', d: deltaOf([newBlock(2 ** 53, 1, 1)]), code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].offset' },
    { name: 'new-block length 2^32', d: deltaOf([newBlock(0, 2 ** 32, 1)]), code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].length' },
    { name: 'negative new-block length', d: deltaOf([newBlock(0, -1, 1)]), code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].length' },
    { name: 'reference base index 2^32 + 1', d: deltaOf([ref(0, 1), ref(2 ** 32 + 1, 1)]), code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].baseIndex' },
    { name: 'negative reference base index', d: deltaOf([ref(-1, 1)]), code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].baseIndex' },
    { name: 'reference count 2^32', d: deltaOf([ref(0, 2 ** 32)]), code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].count' },
    { name: 'fractional reference count', d: deltaOf([ref(0, 1.5)]), code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].count' },
    { name: 'NaN reference count', d: deltaOf([ref(0, Number.NaN)]), code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].count' },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.code} (${c.field})`, () => {
      assertWireError(() => encodeManifestDelta(c.d), c.code, c.field);
    });
  }
});
