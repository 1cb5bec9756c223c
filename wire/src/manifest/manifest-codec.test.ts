import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { WireError, type WireErrorCode } from '../wire-error.js';
import { HashAlgorithm, type BlockEntry, type Manifest } from './manifest.js';
import { decodeManifest, encodeManifest, manifestDigest, MANIFEST_FORMAT_VERSION } from './manifest-codec.js';
import { MAX_BLOCK_SIZE, MAX_PARTITION_TABLE_BYTES, MIN_BLOCK_SIZE, validateManifest } from './validate-manifest.js';

// ---------------------------------------------------------------------------------------------
// Helpers. The raw writer below is an independent implementation of the documented layout
// (docs/manifest-format.md) that does no validation, so tests can build inputs the real
// encoder refuses to produce and re-seal them with a correct digest.
// ---------------------------------------------------------------------------------------------

const MIB = 1024 * 1024;
const GPT_HEAD_BYTES = 512 + 512 + 128 * 128; // protective MBR + GPT header + 128 entries
const GPT_TAIL_BYTES = 128 * 128 + 512; // backup entries + backup header

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** A distinct, deterministic 32-byte hash per seed (a Uint8Array, not a Buffer). */
function hashOf(seed: number): Uint8Array {
  return sha256(new TextEncoder().encode(`block-${seed}`));
}

function patternBytes(length: number, salt: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + salt) & 0xff;
  return out;
}

/** Appends the SHA-256 of `body`: the trailing digest the decoder checks first. */
function seal(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.byteLength + 32);
  out.set(body);
  out.set(sha256(body), body.byteLength);
  return out;
}

/** Replaces the trailing digest of an encoding with the correct one for its (changed) body. */
function reseal(encoded: Uint8Array): Uint8Array {
  return seal(encoded.subarray(0, encoded.byteLength - 32));
}

type Spec = [offset: number, length: number, hashSeed: number];

function manifestOf(blockSize: number, diskSize: number, specs: readonly Spec[], head: Uint8Array = new Uint8Array(0), tail: Uint8Array = new Uint8Array(0)): Manifest {
  const blocks: BlockEntry[] = specs.map(([offset, length, seed], index) => ({ index, offset, length, hash: hashOf(seed) }));
  return { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize, diskSize, partitionTable: { head, tail }, blocks };
}

interface RawEntry {
  offset: bigint;
  length: number;
  hash: Uint8Array;
}

interface RawManifest {
  magic: number;
  version: number;
  hashAlgorithm: number;
  hashLength: number;
  blockSize: number;
  diskSize: bigint;
  headLength: number;
  tailLength: number;
  blockCount: number;
  head: Uint8Array;
  tail: Uint8Array;
  entries: RawEntry[];
  trailing: Uint8Array;
}

function rawFrom(m: Manifest): RawManifest {
  return {
    magic: 0x52434d46,
    version: 1,
    hashAlgorithm: m.hashAlgorithm,
    hashLength: 32,
    blockSize: m.blockSize,
    diskSize: BigInt(m.diskSize),
    headLength: m.partitionTable.head.byteLength,
    tailLength: m.partitionTable.tail.byteLength,
    blockCount: m.blocks.length,
    head: m.partitionTable.head,
    tail: m.partitionTable.tail,
    entries: m.blocks.map((b) => ({ offset: BigInt(b.offset), length: b.length, hash: b.hash })),
    trailing: new Uint8Array(0),
  };
}

/** The body (everything before the digest) of a manifest, exactly as laid out in the doc. */
function rawBody(r: RawManifest): Uint8Array {
  const entriesLength = r.entries.reduce((n, e) => n + 12 + e.hash.byteLength, 0);
  const out = new Uint8Array(32 + r.head.byteLength + r.tail.byteLength + entriesLength + r.trailing.byteLength);
  const v = new DataView(out.buffer);
  v.setUint32(0, r.magic);
  v.setUint16(4, r.version);
  v.setUint8(6, r.hashAlgorithm);
  v.setUint8(7, r.hashLength);
  v.setUint32(8, r.blockSize);
  v.setBigUint64(12, r.diskSize);
  v.setUint32(20, r.headLength);
  v.setUint32(24, r.tailLength);
  v.setUint32(28, r.blockCount);
  let at = 32;
  out.set(r.head, at);
  at += r.head.byteLength;
  out.set(r.tail, at);
  at += r.tail.byteLength;
  for (const e of r.entries) {
    v.setBigUint64(at, e.offset);
    v.setUint32(at + 8, e.length);
    out.set(e.hash, at + 12);
    at += 12 + e.hash.byteLength;
  }
  out.set(r.trailing, at);
  return out;
}

function sealedRaw(base: Manifest, change: (r: RawManifest) => void): Uint8Array {
  const r = rawFrom(base);
  change(r);
  return seal(rawBody(r));
}

function entry(offset: number | bigint, length: number, seed: number): RawEntry {
  return { offset: BigInt(offset), length, hash: hashOf(seed) };
}

/** Asserts that `fn` throws a WireError with exactly this code and field. */
function assertWireError(fn: () => unknown, code: WireErrorCode, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WireError, `expected a WireError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

function roundTrip(m: Manifest): Uint8Array {
  const encoded = encodeManifest(m);
  const decoded = decodeManifest(encoded);
  assert.deepStrictEqual(decoded, m);
  validateManifest(decoded);
  assert.deepStrictEqual(encodeManifest(decoded), encoded, 're-encoding is byte-identical');
  return encoded;
}

// A small valid manifest used by the rejection tables: two adjacent blocks, a short tail block.
const SMALL = manifestOf(4096, 64 * 1024, [[0, 4096, 1], [4096, 4096, 2], [16384, 100, 3]], patternBytes(40, 1), patternBytes(8, 2));

// ---------------------------------------------------------------------------------------------

describe('encodeManifest / decodeManifest round trips', () => {
  test('empty manifest (no blocks, zero-length disk, no partition table)', () => {
    const m = manifestOf(MIN_BLOCK_SIZE, 0, []);
    const encoded = roundTrip(m);
    assert.equal(encoded.byteLength, 32 + 32, 'header plus digest');
  });

  test('empty manifest of a non-empty disk', () => {
    roundTrip(manifestOf(MIB, 8 * 1024 * MIB, []));
  });

  test('one block', () => {
    const encoded = roundTrip(manifestOf(MIB, 8 * MIB, [[MIB, MIB, 7]]));
    assert.equal(encoded.byteLength, 32 + 44 + 32);
  });

  test('many blocks, contiguous and with gaps', () => {
    const specs: Spec[] = [];
    let offset = 0;
    for (let i = 0; i < 10_000; i++) {
      specs.push([offset, 4096, i]);
      offset += 4096 * (i % 7 === 0 ? 3 : 1);
    }
    const m = manifestOf(4096, offset + MIB, specs);
    const encoded = roundTrip(m);
    assert.equal(encoded.byteLength, 32 + 10_000 * 44 + 32);
  });

  test('last block shorter than the block size, ending exactly at the disk end', () => {
    const diskSize = 3 * MIB + 12_345;
    roundTrip(manifestOf(MIB, diskSize, [[0, MIB, 1], [MIB, MIB, 2], [2 * MIB, MIB, 3], [3 * MIB, 12_345, 4]]));
  });

  test('one-byte blocks and unaligned offsets', () => {
    roundTrip(manifestOf(4096, 10_000, [[0, 1, 1], [1, 1, 2], [513, 4096, 3], [9_999, 1, 4]]));
  });

  test('GPT-sized head and tail bytes', () => {
    const head = patternBytes(GPT_HEAD_BYTES, 3);
    const tail = patternBytes(GPT_TAIL_BYTES, 4);
    const m = manifestOf(MIB, 64 * MIB, [[MIB, MIB, 1], [2 * MIB, 4096, 2]], head, tail);
    const encoded = roundTrip(m);
    assert.equal(encoded.byteLength, 32 + GPT_HEAD_BYTES + GPT_TAIL_BYTES + 2 * 44 + 32);
  });

  test('partition-table regions of exactly 1 MiB are accepted', () => {
    roundTrip(manifestOf(4096, 4 * MIB, [], patternBytes(MAX_PARTITION_TABLE_BYTES, 5), patternBytes(MAX_PARTITION_TABLE_BYTES, 6)));
  });

  test('large offsets near 2^50', () => {
    const diskSize = 2 ** 50;
    roundTrip(manifestOf(MIB, diskSize, [[0, MIB, 1], [2 ** 49, MIB, 2], [diskSize - 2 * MIB, MIB, 3], [diskSize - MIB, MIB, 4]]));
  });

  test('the largest representable disk (2^53 - 1) with a block ending at its last byte', () => {
    const diskSize = Number.MAX_SAFE_INTEGER;
    roundTrip(manifestOf(4096, diskSize, [[diskSize - 4096, 4096, 1]]));
  });

  test('smallest and largest block sizes', () => {
    roundTrip(manifestOf(MIN_BLOCK_SIZE, MIB, [[0, MIN_BLOCK_SIZE, 1]]));
    roundTrip(manifestOf(MAX_BLOCK_SIZE, 64 * MIB, [[0, MAX_BLOCK_SIZE, 1], [MAX_BLOCK_SIZE, 1, 2]]));
    roundTrip(manifestOf(MIN_BLOCK_SIZE + 512, MIB, [[0, MIN_BLOCK_SIZE + 512, 1]]));
  });

  test('identical hashes in different blocks (e.g. zero blocks) are allowed', () => {
    roundTrip(manifestOf(4096, MIB, [[0, 4096, 9], [4096, 4096, 9], [8192, 4096, 9]]));
  });

  test('the encoding matches the documented layout byte for byte', () => {
    const encoded = encodeManifest(SMALL);
    assert.deepStrictEqual(encoded, seal(rawBody(rawFrom(SMALL))));
    const v = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    assert.equal(new TextDecoder().decode(encoded.subarray(0, 4)), 'RCMF');
    assert.equal(v.getUint16(4), MANIFEST_FORMAT_VERSION);
    assert.equal(v.getUint8(6), HashAlgorithm.Blake3_256);
    assert.equal(v.getUint8(7), 32);
  });

  test('decodes from a view with a non-zero byteOffset and from a Buffer', () => {
    const encoded = encodeManifest(SMALL);
    const padded = new Uint8Array(encoded.byteLength + 11);
    padded.set(encoded, 7);
    assert.deepStrictEqual(decodeManifest(padded.subarray(7, 7 + encoded.byteLength)), SMALL);
    assert.deepStrictEqual(decodeManifest(Buffer.from(encoded)), SMALL);
  });
});

describe('manifestDigest', () => {
  test('is the SHA-256 of every byte before it, stored as the last 32 bytes', () => {
    const encoded = encodeManifest(SMALL);
    const digest = manifestDigest(encoded);
    assert.equal(digest.byteLength, 32);
    assert.deepStrictEqual(digest, sha256(encoded.subarray(0, encoded.byteLength - 32)));
    assert.deepStrictEqual(digest, encoded.subarray(encoded.byteLength - 32));
  });

  test('differs when any field differs', () => {
    const a = manifestDigest(encodeManifest(SMALL));
    const b = manifestDigest(encodeManifest({ ...SMALL, diskSize: SMALL.diskSize + 1 }));
    assert.notDeepStrictEqual(a, b);
  });

  test('rejects input shorter than a digest', () => {
    assertWireError(() => manifestDigest(new Uint8Array(31)), 'RC_ERR_WIRE_TRUNCATED', 'digest');
    assert.equal(manifestDigest(new Uint8Array(32)).byteLength, 32);
  });
});

describe('decodeManifest rejects damaged input', () => {
  test('truncated at every length from 0 to len-1', () => {
    const encoded = encodeManifest(SMALL);
    for (let len = 0; len < encoded.byteLength; len++) {
      const cut = encoded.slice(0, len);
      if (len < 64) assertWireError(() => decodeManifest(cut), 'RC_ERR_WIRE_TRUNCATED', 'header');
      else assertWireError(() => decodeManifest(cut), 'RC_ERR_WIRE_CHECKSUM', 'digest');
    }
  });

  test('truncated body re-sealed with a correct digest, at every body length', () => {
    const body = encodeManifest(SMALL).subarray(0, -32);
    for (let len = 0; len < body.byteLength; len++) {
      const input = seal(body.slice(0, len));
      // Shorter than the 32-byte header: refused by length; otherwise the declared sizes lie.
      assertWireError(() => decodeManifest(input), 'RC_ERR_WIRE_TRUNCATED', len < 32 ? 'header' : 'blockCount');
    }
  });

  test('a flipped bit anywhere (body or digest) fails the checksum', () => {
    const encoded = encodeManifest(SMALL);
    for (let bit = 0; bit < encoded.byteLength * 8; bit++) {
      const damaged = encoded.slice();
      damaged[bit >> 3] = (damaged[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      assertWireError(() => decodeManifest(damaged), 'RC_ERR_WIRE_CHECKSUM', 'digest');
    }
  });

  test('an appended byte fails the checksum', () => {
    const encoded = encodeManifest(SMALL);
    const longer = new Uint8Array(encoded.byteLength + 1);
    longer.set(encoded);
    assertWireError(() => decodeManifest(longer), 'RC_ERR_WIRE_CHECKSUM', 'digest');
  });

  test('all-zero input of header size fails the checksum', () => {
    assertWireError(() => decodeManifest(new Uint8Array(64)), 'RC_ERR_WIRE_CHECKSUM', 'digest');
  });

  const sealedCases: { name: string; change: (r: RawManifest) => void; code: WireErrorCode; field: string }[] = [
    { name: 'magic of a delta ("RCMD")', change: (r) => { r.magic = 0x52434d44; }, code: 'RC_ERR_WIRE_BAD_MAGIC', field: 'magic' },
    { name: 'magic zero', change: (r) => { r.magic = 0; }, code: 'RC_ERR_WIRE_BAD_MAGIC', field: 'magic' },
    { name: 'magic byte-swapped', change: (r) => { r.magic = 0x464d4352; }, code: 'RC_ERR_WIRE_BAD_MAGIC', field: 'magic' },
    { name: 'format version 0', change: (r) => { r.version = 0; }, code: 'RC_ERR_WIRE_UNSUPPORTED_VERSION', field: 'formatVersion' },
    { name: 'format version 2', change: (r) => { r.version = 2; }, code: 'RC_ERR_WIRE_UNSUPPORTED_VERSION', field: 'formatVersion' },
    { name: 'format version 0xffff', change: (r) => { r.version = 0xffff; }, code: 'RC_ERR_WIRE_UNSUPPORTED_VERSION', field: 'formatVersion' },
    { name: 'hash length 0', change: (r) => { r.hashLength = 0; }, code: 'RC_ERR_WIRE_INVALID', field: 'hashLength' },
    { name: 'hash length 31', change: (r) => { r.hashLength = 31; }, code: 'RC_ERR_WIRE_INVALID', field: 'hashLength' },
    { name: 'hash length 33', change: (r) => { r.hashLength = 33; }, code: 'RC_ERR_WIRE_INVALID', field: 'hashLength' },
    { name: 'hash length 255', change: (r) => { r.hashLength = 255; }, code: 'RC_ERR_WIRE_INVALID', field: 'hashLength' },
    { name: 'hash algorithm 0', change: (r) => { r.hashAlgorithm = 0; }, code: 'RC_ERR_WIRE_INVALID', field: 'hashAlgorithm' },
    { name: 'hash algorithm 2', change: (r) => { r.hashAlgorithm = 2; }, code: 'RC_ERR_WIRE_INVALID', field: 'hashAlgorithm' },
    { name: 'block size 0', change: (r) => { r.blockSize = 0; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 512 (below 4 KiB)', change: (r) => { r.blockSize = 512; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 4095', change: (r) => { r.blockSize = 4095; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 4097 (not a multiple of 512)', change: (r) => { r.blockSize = 4097; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 4096 + 256', change: (r) => { r.blockSize = 4352; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 16 MiB + 512 (above the maximum)', change: (r) => { r.blockSize = MAX_BLOCK_SIZE + 512; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 0xffffffff', change: (r) => { r.blockSize = 0xffffffff; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'disk size 2^53 (not a safe integer)', change: (r) => { r.diskSize = 2n ** 53n; }, code: 'RC_ERR_WIRE_INVALID', field: 'diskSize' },
    { name: 'disk size 2^64 - 1', change: (r) => { r.diskSize = 2n ** 64n - 1n; }, code: 'RC_ERR_WIRE_INVALID', field: 'diskSize' },
    { name: 'block count one too big', change: (r) => { r.blockCount += 1; }, code: 'RC_ERR_WIRE_TRUNCATED', field: 'blockCount' },
    { name: 'block count 0xffffffff', change: (r) => { r.blockCount = 0xffffffff; }, code: 'RC_ERR_WIRE_TRUNCATED', field: 'blockCount' },
    { name: 'block count one too small', change: (r) => { r.blockCount -= 1; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockCount' },
    { name: 'block count zero with blocks present', change: (r) => { r.blockCount = 0; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockCount' },
    { name: 'head length larger than the bytes present', change: (r) => { r.headLength += 1; }, code: 'RC_ERR_WIRE_TRUNCATED', field: 'blockCount' },
    { name: 'head length 0xffffffff', change: (r) => { r.headLength = 0xffffffff; }, code: 'RC_ERR_WIRE_TRUNCATED', field: 'blockCount' },
    { name: 'tail length smaller than the bytes present', change: (r) => { r.tailLength -= 1; }, code: 'RC_ERR_WIRE_INVALID', field: 'blockCount' },
    { name: 'trailing bytes after the last block', change: (r) => { r.trailing = new Uint8Array(44); }, code: 'RC_ERR_WIRE_INVALID', field: 'blockCount' },
    { name: 'one trailing byte', change: (r) => { r.trailing = new Uint8Array(1); }, code: 'RC_ERR_WIRE_INVALID', field: 'blockCount' },
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
    {
      name: 'overlapping blocks',
      change: (r) => { r.entries = [entry(0, 4096, 1), entry(2048, 4096, 2)]; r.blockCount = 2; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].offset',
    },
    {
      name: 'overlap by a single byte',
      change: (r) => { r.entries = [entry(0, 4096, 1), entry(4096, 4096, 2), entry(8191, 10, 3)]; r.blockCount = 3; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[2].offset',
    },
    {
      name: 'duplicate offsets',
      change: (r) => { r.entries = [entry(4096, 100, 1), entry(4096, 100, 1)]; r.blockCount = 2; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].offset',
    },
    {
      name: 'unordered blocks',
      change: (r) => { r.entries = [entry(8192, 4096, 1), entry(0, 4096, 2)]; r.blockCount = 2; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].offset',
    },
    {
      name: 'block ending one byte past the disk end',
      change: (r) => { r.entries = [entry(0, 4096, 1), entry(64 * 1024 - 100, 101, 2)]; r.blockCount = 2; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].offset',
    },
    {
      name: 'block starting at the disk end',
      change: (r) => { r.entries = [entry(64 * 1024, 1, 1)]; r.blockCount = 1; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].offset',
    },
    {
      name: 'block offset 2^53 (not a safe integer)',
      change: (r) => { r.entries = [entry(2n ** 53n, 1, 1)]; r.blockCount = 1; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].offset',
    },
    {
      name: 'block offset 2^64 - 1',
      change: (r) => { r.entries = [entry(0, 1, 0), entry(2n ** 64n - 1n, 1, 1)]; r.blockCount = 2; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].offset',
    },
    {
      name: 'block near 2^53 on a disk that is too small',
      change: (r) => { r.diskSize = 2n ** 53n - 1n; r.entries = [entry(2n ** 53n - 2n, 2, 1)]; r.blockCount = 1; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].offset',
    },
    {
      name: 'zero-length block',
      change: (r) => { r.entries = [entry(0, 4096, 1), entry(4096, 0, 2)]; r.blockCount = 2; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].length',
    },
    {
      name: 'block longer than the block size',
      change: (r) => { r.entries = [entry(0, 4097, 1)]; r.blockCount = 1; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].length',
    },
    {
      name: 'block length 0xffffffff',
      change: (r) => { r.entries = [entry(0, 0xffffffff, 1)]; r.blockCount = 1; },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].length',
    },
  ];

  for (const c of sealedCases) {
    test(`re-sealed: ${c.name} → ${c.code} (${c.field})`, () => {
      const input = sealedRaw(SMALL, c.change);
      assertWireError(() => decodeManifest(input), c.code, c.field);
    });
  }

  test('the raw writer itself produces a decodable manifest when nothing is changed', () => {
    assert.deepStrictEqual(decodeManifest(sealedRaw(SMALL, () => undefined)), SMALL);
  });

  test('a delta encoding is not a manifest', () => {
    const body = rawBody(rawFrom(SMALL));
    new DataView(body.buffer).setUint32(0, 0x52434d44);
    assertWireError(() => decodeManifest(seal(body)), 'RC_ERR_WIRE_BAD_MAGIC', 'magic');
  });

  test('overwriting a header field in place without re-sealing fails the checksum first', () => {
    const encoded = encodeManifest(SMALL);
    new DataView(encoded.buffer).setUint16(4, 2);
    assertWireError(() => decodeManifest(encoded), 'RC_ERR_WIRE_CHECKSUM', 'digest');
    assertWireError(() => decodeManifest(reseal(encoded)), 'RC_ERR_WIRE_UNSUPPORTED_VERSION', 'formatVersion');
  });
});

describe('decoded values do not alias the input', () => {
  test('mutating the input after decoding leaves hashes and partition-table bytes unchanged', () => {
    const encoded = encodeManifest(SMALL);
    const decoded = decodeManifest(encoded);
    const hashes = decoded.blocks.map((b) => b.hash.slice());
    const head = decoded.partitionTable.head.slice();
    const tail = decoded.partitionTable.tail.slice();
    encoded.fill(0xaa);
    decoded.blocks.forEach((b, i) => assert.deepStrictEqual(b.hash, hashes[i]));
    assert.deepStrictEqual(decoded.partitionTable.head, head);
    assert.deepStrictEqual(decoded.partitionTable.tail, tail);
    assert.deepStrictEqual(decoded, SMALL);
    for (const b of decoded.blocks) assert.notEqual(b.hash.buffer, encoded.buffer);
  });

  test('the encoder copies too: mutating the source manifest does not change the encoding', () => {
    const m = manifestOf(4096, MIB, [[0, 4096, 1]], patternBytes(10, 1));
    const encoded = encodeManifest(m);
    const copy = encoded.slice();
    m.partitionTable.head.fill(0);
    m.blocks[0]?.hash.fill(0);
    assert.deepStrictEqual(encoded, copy);
  });
});

describe('encodeManifest rejects invalid manifests', () => {
  const blocks = (specs: readonly Spec[]): BlockEntry[] => manifestOf(4096, MIB, specs).blocks.slice();
  const cases: { name: string; m: Manifest; code: WireErrorCode; field: string }[] = [
    { name: 'unknown hash algorithm', m: { ...SMALL, hashAlgorithm: 2 as typeof HashAlgorithm.Blake3_256 }, code: 'RC_ERR_WIRE_INVALID', field: 'hashAlgorithm' },
    { name: 'block size 0', m: { ...SMALL, blockSize: 0 }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 4097', m: { ...SMALL, blockSize: 4097 }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 2048', m: { ...SMALL, blockSize: 2048 }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 32 MiB', m: { ...SMALL, blockSize: 32 * MIB }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size NaN', m: { ...SMALL, blockSize: Number.NaN }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'block size 4096.5', m: { ...SMALL, blockSize: 4096.5 }, code: 'RC_ERR_WIRE_INVALID', field: 'blockSize' },
    { name: 'negative disk size', m: { ...SMALL, diskSize: -1 }, code: 'RC_ERR_WIRE_INVALID', field: 'diskSize' },
    { name: 'fractional disk size', m: { ...SMALL, diskSize: 65536.5 }, code: 'RC_ERR_WIRE_INVALID', field: 'diskSize' },
    { name: 'disk size 2^53', m: { ...SMALL, diskSize: 2 ** 53 }, code: 'RC_ERR_WIRE_INVALID', field: 'diskSize' },
    { name: 'disk size Infinity', m: { ...SMALL, diskSize: Infinity }, code: 'RC_ERR_WIRE_INVALID', field: 'diskSize' },
    {
      name: 'head longer than 1 MiB',
      m: { ...SMALL, partitionTable: { head: new Uint8Array(MAX_PARTITION_TABLE_BYTES + 1), tail: new Uint8Array(0) } },
      code: 'RC_ERR_WIRE_INVALID', field: 'partitionTable.head',
    },
    {
      name: 'tail longer than 1 MiB',
      m: { ...SMALL, partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(MAX_PARTITION_TABLE_BYTES + 1) } },
      code: 'RC_ERR_WIRE_INVALID', field: 'partitionTable.tail',
    },
    {
      name: 'index out of sequence',
      m: { ...SMALL, blocks: [{ index: 0, offset: 0, length: 10, hash: hashOf(1) }, { index: 2, offset: 10, length: 10, hash: hashOf(2) }] },
      code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].index',
    },
    { name: 'hash of 31 bytes', m: { ...SMALL, blocks: [{ index: 0, offset: 0, length: 10, hash: new Uint8Array(31) }] }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].hash' },
    { name: 'hash of 33 bytes', m: { ...SMALL, blocks: [{ index: 0, offset: 0, length: 10, hash: new Uint8Array(33) }] }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].hash' },
    { name: 'negative offset', m: { ...SMALL, blocks: [{ index: 0, offset: -1, length: 10, hash: hashOf(1) }] }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].offset' },
    { name: 'fractional offset', m: { ...SMALL, blocks: [{ index: 0, offset: 0.5, length: 10, hash: hashOf(1) }] }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].offset' },
    { name: 'offset 2^53', m: { ...SMALL, diskSize: Number.MAX_SAFE_INTEGER, blocks: [{ index: 0, offset: 2 ** 53, length: 1, hash: hashOf(1) }] }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].offset' },
    { name: 'overlapping blocks', m: { ...SMALL, blocks: blocks([[0, 4096, 1], [4095, 1, 2]]) }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].offset' },
    { name: 'unordered blocks', m: { ...SMALL, blocks: blocks([[8192, 4096, 1], [0, 4096, 2]]) }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].offset' },
    { name: 'block past the disk end', m: { ...SMALL, blocks: blocks([[65536 - 10, 11, 1]]) }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].offset' },
    { name: 'zero length', m: { ...SMALL, blocks: blocks([[0, 0, 1]]) }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].length' },
    { name: 'fractional length', m: { ...SMALL, blocks: blocks([[0, 1.5, 1]]) }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].length' },
    { name: 'length over the block size', m: { ...SMALL, blocks: blocks([[0, 4096, 1], [4096, 4097, 2]]) }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[1].length' },
    { name: 'NaN length', m: { ...SMALL, blocks: blocks([[0, Number.NaN, 1]]) }, code: 'RC_ERR_WIRE_INVALID', field: 'blocks[0].length' },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.code} (${c.field})`, () => {
      assertWireError(() => encodeManifest(c.m), c.code, c.field);
      assertWireError(() => validateManifest(c.m), c.code, c.field);
    });
  }
});
