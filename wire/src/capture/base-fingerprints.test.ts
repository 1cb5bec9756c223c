import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { composeVersion, diffManifests } from '../manifest/compose.js';
import { decodeManifestDelta, encodeManifestDelta } from '../manifest/delta-codec.js';
import { HashAlgorithm, type BlockEntry, type Manifest } from '../manifest/manifest.js';
import { encodeManifest, manifestDigest } from '../manifest/manifest-codec.js';
import { WireError, type WireErrorCode } from '../wire-error.js';
import { baseFingerprintsLength, decodeBaseFingerprints, encodeBaseFingerprints, fingerprintManifest, type BaseFingerprints } from './base-fingerprints.js';
import { diffAgainstFingerprints, newBlocksOf } from './fingerprint-delta.js';

const KIB = 1024;
const hashOf = (seed: number): Uint8Array => new Uint8Array(createHash('sha256').update(`block-${seed}`).digest());

function manifestOf(specs: readonly [offset: number, length: number, seed: number][], diskSize = 1024 * KIB): Manifest {
  const blocks: BlockEntry[] = specs.map(([offset, length, seed], index) => ({ index, offset, length, hash: hashOf(seed) }));
  return { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: 64 * KIB, diskSize, partitionTable: { head: new Uint8Array([1, 2]), tail: new Uint8Array(0) }, blocks };
}

const BASE = manifestOf([[0, 65536, 1], [65536, 65536, 2], [131072, 65536, 3], [327680, 65536, 4], [393216, 65536, 5], [983040, 65536, 6]]);
const DIGEST = manifestDigest(encodeManifest(BASE));

function assertWireError(fn: () => unknown, code: WireErrorCode, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WireError, `expected a WireError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

/** Encodes, rewrites one big-endian field, and re-seals the trailing SHA-256. */
function withField(f: BaseFingerprints, at: number, width: number, value: number): Uint8Array {
  const bytes = encodeBaseFingerprints(f).slice();
  const view = new DataView(bytes.buffer);
  if (width === 1) view.setUint8(at, value);
  else if (width === 2) view.setUint16(at, value);
  else if (width === 4) view.setUint32(at, value);
  else view.setBigUint64(at, BigInt(value));
  const body = bytes.subarray(0, bytes.byteLength - 32);
  bytes.set(createHash('sha256').update(body).digest(), bytes.byteLength - 32);
  return bytes;
}

describe('base fingerprints codec', () => {
  test('round trip keeps every field; 56 + 20 bytes a block + 32', () => {
    const f = fingerprintManifest(BASE, DIGEST);
    const bytes = encodeBaseFingerprints(f);
    assert.equal(bytes.byteLength, baseFingerprintsLength(BASE.blocks.length));
    assert.equal(bytes.byteLength, 56 + 20 * 6 + 32);
    const back = decodeBaseFingerprints(bytes);
    assert.deepStrictEqual(back, { ...f, baseDigest: new Uint8Array(DIGEST), blocks: f.blocks.map((b) => ({ ...b, prefix: new Uint8Array(b.prefix) })) });
    assert.deepStrictEqual([...back.blocks[2]?.prefix ?? []], [...hashOf(3).subarray(0, 8)]);
  });

  test('decoded values do not alias the input', () => {
    const bytes = encodeBaseFingerprints(fingerprintManifest(BASE, DIGEST));
    const back = decodeBaseFingerprints(bytes);
    const before = [...back.blocks[0]?.prefix ?? []];
    bytes.fill(0);
    assert.deepStrictEqual([...back.blocks[0]?.prefix ?? []], before);
  });

  test('refusals name the field', () => {
    const f = fingerprintManifest(BASE, DIGEST);
    const good = encodeBaseFingerprints(f);
    assertWireError(() => decodeBaseFingerprints(good.subarray(0, 60)), 'RC_ERR_WIRE_TRUNCATED', 'header');
    const flipped = good.slice();
    flipped[70] = (flipped[70] ?? 0) ^ 1;
    assertWireError(() => decodeBaseFingerprints(flipped), 'RC_ERR_WIRE_CHECKSUM', 'digest');
    assertWireError(() => decodeBaseFingerprints(withField(f, 0, 4, 0x52434d46)), 'RC_ERR_WIRE_BAD_MAGIC', 'magic');
    assertWireError(() => decodeBaseFingerprints(withField(f, 4, 2, 2)), 'RC_ERR_WIRE_UNSUPPORTED_VERSION', 'formatVersion');
    assertWireError(() => decodeBaseFingerprints(withField(f, 7, 1, 32)), 'RC_ERR_WIRE_INVALID', 'prefixLength');
    assertWireError(() => decodeBaseFingerprints(withField(f, 6, 1, 2)), 'RC_ERR_WIRE_INVALID', 'hashAlgorithm');
    assertWireError(() => decodeBaseFingerprints(withField(f, 8, 4, 1000)), 'RC_ERR_WIRE_INVALID', 'blockSize');
    assertWireError(() => decodeBaseFingerprints(withField(f, 52, 4, 7)), 'RC_ERR_WIRE_TRUNCATED', 'entryCount');
    assertWireError(() => decodeBaseFingerprints(withField(f, 52, 4, 0xffffffff)), 'RC_ERR_WIRE_TRUNCATED', 'entryCount');
    assertWireError(() => decodeBaseFingerprints(withField(f, 52, 4, 5)), 'RC_ERR_WIRE_INVALID', 'entryCount');
    // Entry 1 moved onto entry 0: overlapping.
    assertWireError(() => decodeBaseFingerprints(withField(f, 56 + 20, 8, 100)), 'RC_ERR_WIRE_INVALID', 'blocks[1].offset');
    assertWireError(() => decodeBaseFingerprints(withField(f, 56 + 20 + 8, 4, 65537)), 'RC_ERR_WIRE_INVALID', 'blocks[1].length');
    assertWireError(() => decodeBaseFingerprints(withField(f, 56 + 100, 8, 1024 * KIB - 10)), 'RC_ERR_WIRE_INVALID', 'blocks[5].offset');
  });

  test('the encoder refuses what the decoder would', () => {
    const f = fingerprintManifest(BASE, DIGEST);
    assertWireError(() => encodeBaseFingerprints({ ...f, baseDigest: new Uint8Array(31) }), 'RC_ERR_WIRE_INVALID', 'baseDigest');
    assertWireError(() => encodeBaseFingerprints({ ...f, blocks: [...f.blocks].reverse() }), 'RC_ERR_WIRE_INVALID', 'blocks[1].offset');
    assertWireError(() => encodeBaseFingerprints({ ...f, blocks: [{ offset: 0, length: 10, prefix: new Uint8Array(7) }] }), 'RC_ERR_WIRE_INVALID', 'blocks[0].prefix');
  });
});

describe('diffAgainstFingerprints', () => {
  const NEXT = manifestOf([
    [0, 65536, 1], [65536, 65536, 20], [131072, 65536, 3], [196608, 65536, 21], [327680, 65536, 4], [393216, 65536, 5],
  ], 2048 * KIB);

  test('same result as diffManifests with the full base, and it composes back to next', () => {
    const fromPrints = diffAgainstFingerprints(decodeBaseFingerprints(encodeBaseFingerprints(fingerprintManifest(BASE, DIGEST))), NEXT);
    const fromFull = diffManifests(BASE, DIGEST, NEXT);
    assert.deepStrictEqual(encodeManifestDelta(fromPrints), encodeManifestDelta(fromFull));
    const { manifest, stats } = composeVersion(BASE, decodeManifestDelta(encodeManifestDelta(fromPrints)));
    assert.deepStrictEqual(manifest, NEXT);
    // Block 983040 of the base is not in next: dropped, not referenced.
    assert.deepStrictEqual(stats, { reusedBlocks: 4, newBlocks: 2, droppedBlocks: 2, newBytes: 131072 });
    assert.deepStrictEqual(newBlocksOf(fromPrints).map((b) => b.offset), [65536, 196608]);
    assert.deepStrictEqual(fromPrints.blocks.filter((b) => b.kind === 'ref'), [{ kind: 'ref', baseIndex: 0, count: 1 }, { kind: 'ref', baseIndex: 2, count: 1 }, { kind: 'ref', baseIndex: 3, count: 2 }]);
  });

  test('a block of another length at the same offset is new', () => {
    const next = manifestOf([[0, 4096, 1]]);
    const delta = diffAgainstFingerprints(fingerprintManifest(BASE, DIGEST), next);
    assert.deepStrictEqual(delta.blocks.map((b) => b.kind), ['new']);
  });

  test('another block size is refused', () => {
    assertWireError(() => diffAgainstFingerprints(fingerprintManifest(BASE, DIGEST), { ...NEXT, blockSize: 4096 }), 'RC_ERR_MANIFEST_BASE_MISMATCH', 'blockSize');
  });
});
