import { createHash } from 'node:crypto';
import { ByteReader, ByteWriter } from '../byte-reader.js';
import { equalBytes } from '../equal-bytes.js';
import { HASH_LENGTH, HashAlgorithm, type HashAlgorithmId, type Manifest } from '../manifest/manifest.js';
import { MAX_BLOCK_SIZE, MIN_BLOCK_SIZE } from '../manifest/validate-manifest.js';
import { WireError } from '../wire-error.js';

/*
 * Base fingerprints, format version 1 (network byte order; docs/capture-protocol.md): what the
 * server sends an agent about the image's newest version so that the agent can write its delta
 * without downloading the whole base manifest (20 bytes a block instead of 44).
 *
 *   0   4  magic "RCBF"
 *   4   2  format version (1)
 *   6   1  hash algorithm (1 = BLAKE3-256)      7  1  prefix length (8)
 *   8   4  block size                          12  8  disk size of the base
 *  20  32  base digest (SHA-256 of the base manifest's encoding)
 *  52   4  entry count N
 *  56 20N  entries: offset u64, length u32, hash prefix[8]
 *      32  SHA-256 of every byte before it
 */

const MAGIC = 0x52434246; // "RCBF"
const VERSION = 1;
const HEADER_LENGTH = 56;
const DIGEST_LENGTH = 32;
/**
 * Bytes of each block hash sent. NOTE: a truncated hash only decides whether the agent offers
 * a block as unchanged (a reference) or as new; an accidental match of two different blocks at
 * the same offset has probability 2^-64 per block, ten orders of magnitude below the rate at
 * which a disk returns a wrong bit in a 256 KiB read. The store keeps full hashes throughout.
 */
export const FINGERPRINT_PREFIX_LENGTH = 8;
const ENTRY_LENGTH = 8 + 4 + FINGERPRINT_PREFIX_LENGTH;

/** One block of the base version, by position and a prefix of its content hash. */
export interface BlockFingerprint {
  readonly offset: number;
  readonly length: number;
  /** The first 8 bytes of the block's BLAKE3-256 hash. */
  readonly prefix: Uint8Array;
}

/** The base version as an agent needs it to diff against: its digest and its blocks' fingerprints. */
export interface BaseFingerprints {
  readonly hashAlgorithm: HashAlgorithmId;
  readonly blockSize: number;
  readonly diskSize: number;
  /** Digest of the base manifest's encoding; the agent's delta names its base by it. */
  readonly baseDigest: Uint8Array;
  /** In the base manifest's order: entry i is base block i. */
  readonly blocks: readonly BlockFingerprint[];
}

/** The fingerprints of a manifest whose encoding has digest `baseDigest`. */
export function fingerprintManifest(manifest: Manifest, baseDigest: Uint8Array): BaseFingerprints {
  return {
    hashAlgorithm: manifest.hashAlgorithm, blockSize: manifest.blockSize, diskSize: manifest.diskSize, baseDigest,
    blocks: manifest.blocks.map((b) => ({ offset: b.offset, length: b.length, prefix: b.hash.subarray(0, FINGERPRINT_PREFIX_LENGTH) })),
  };
}

function invalid(field: string, message: string): WireError {
  return new WireError('RC_ERR_WIRE_INVALID', field, message);
}

function checkHeader(f: Pick<BaseFingerprints, 'hashAlgorithm' | 'blockSize' | 'diskSize' | 'baseDigest'>): void {
  if (f.hashAlgorithm !== HashAlgorithm.Blake3_256) throw invalid('hashAlgorithm', `unknown hash algorithm ${f.hashAlgorithm}`);
  if (!Number.isInteger(f.blockSize) || f.blockSize < MIN_BLOCK_SIZE || f.blockSize > MAX_BLOCK_SIZE || f.blockSize % 512 !== 0) {
    throw invalid('blockSize', `block size ${f.blockSize} is not a multiple of 512 between ${MIN_BLOCK_SIZE} and ${MAX_BLOCK_SIZE}`);
  }
  if (!Number.isSafeInteger(f.diskSize) || f.diskSize < 0) throw invalid('diskSize', `disk size ${f.diskSize} is not a non-negative integer`);
  if (f.baseDigest.byteLength !== DIGEST_LENGTH) throw invalid('baseDigest', 'base digest must be 32 bytes');
}

/** Same invariants as manifest blocks: ascending, not overlapping, 1..blockSize long, inside the disk. */
function checkEntry(b: BlockFingerprint, i: number, previousEnd: number, f: Pick<BaseFingerprints, 'blockSize' | 'diskSize'>): void {
  const field = `blocks[${i}]`;
  if (!Number.isSafeInteger(b.offset) || b.offset < previousEnd) throw invalid(`${field}.offset`, `offset ${b.offset} is before the end of the previous block (${previousEnd})`);
  if (!Number.isInteger(b.length) || b.length < 1 || b.length > f.blockSize) throw invalid(`${field}.length`, `length ${b.length} is not within 1..${f.blockSize}`);
  if (b.offset + b.length > f.diskSize) throw invalid(`${field}.offset`, `block ends past the disk (${f.diskSize})`);
  if (b.prefix.byteLength !== FINGERPRINT_PREFIX_LENGTH) throw invalid(`${field}.prefix`, `prefix is ${b.prefix.byteLength} bytes, not ${FINGERPRINT_PREFIX_LENGTH}`);
}

/** Encodes fingerprints; every invariant the decoder checks is checked first. */
export function encodeBaseFingerprints(f: BaseFingerprints): Uint8Array {
  checkHeader(f);
  let previousEnd = 0;
  f.blocks.forEach((b, i) => { checkEntry(b, i, previousEnd, f); previousEnd = b.offset + b.length; });
  const w = new ByteWriter(HEADER_LENGTH + ENTRY_LENGTH * f.blocks.length + DIGEST_LENGTH);
  w.u32(MAGIC);
  w.u16(VERSION);
  w.u8(f.hashAlgorithm);
  w.u8(FINGERPRINT_PREFIX_LENGTH);
  w.u32(f.blockSize);
  w.u64(f.diskSize);
  w.raw(f.baseDigest);
  w.u32(f.blocks.length);
  for (const b of f.blocks) {
    w.u64(b.offset);
    w.u32(b.length);
    w.raw(b.prefix);
  }
  w.raw(sha256(w.bytes.subarray(0, w.position)));
  return w.bytes;
}

/** Decodes fingerprints; throws a WireError naming the field at fault. Values never alias the input. */
export function decodeBaseFingerprints(bytes: Uint8Array): BaseFingerprints {
  if (bytes.byteLength < HEADER_LENGTH + DIGEST_LENGTH) throw new WireError('RC_ERR_WIRE_TRUNCATED', 'header', 'shorter than a fingerprint header');
  const bodyEnd = bytes.byteLength - DIGEST_LENGTH;
  if (!equalBytes(sha256(bytes.subarray(0, bodyEnd)), bytes.subarray(bodyEnd))) {
    throw new WireError('RC_ERR_WIRE_CHECKSUM', 'digest', 'fingerprint digest does not match its content (damaged or truncated)');
  }
  const r = new ByteReader(new Uint8Array(bytes.subarray(0, bodyEnd)));
  if (r.u32('magic') !== MAGIC) throw new WireError('RC_ERR_WIRE_BAD_MAGIC', 'magic', 'not Rackcast base fingerprints');
  const version = r.u16('formatVersion');
  if (version !== VERSION) throw new WireError('RC_ERR_WIRE_UNSUPPORTED_VERSION', 'formatVersion', `fingerprint format ${version} is not supported`);
  const hashAlgorithm = r.u8('hashAlgorithm') as HashAlgorithmId;
  if (r.u8('prefixLength') !== FINGERPRINT_PREFIX_LENGTH) throw invalid('prefixLength', `prefix length must be ${FINGERPRINT_PREFIX_LENGTH}`);
  const blockSize = r.u32('blockSize');
  const diskSize = r.u64('diskSize');
  const baseDigest = r.bytes(DIGEST_LENGTH, 'baseDigest');
  const count = r.u32('entryCount');
  // The count must match the bytes present exactly, checked before anything is allocated for it.
  if (count * ENTRY_LENGTH > r.remaining) throw new WireError('RC_ERR_WIRE_TRUNCATED', 'entryCount', `${count} entries cannot fit in ${r.remaining} bytes`);
  if (count * ENTRY_LENGTH < r.remaining) throw invalid('entryCount', `${r.remaining - count * ENTRY_LENGTH} bytes after the last entry`);
  const header = { hashAlgorithm, blockSize, diskSize, baseDigest };
  checkHeader(header);
  const blocks: BlockFingerprint[] = [];
  let previousEnd = 0;
  for (let i = 0; i < count; i++) {
    const entry = { offset: r.u64(`blocks[${i}].offset`), length: r.u32(`blocks[${i}].length`), prefix: r.bytes(FINGERPRINT_PREFIX_LENGTH, `blocks[${i}].prefix`) };
    checkEntry(entry, i, previousEnd, header);
    previousEnd = entry.offset + entry.length;
    blocks.push(entry);
  }
  return { ...header, blocks };
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

/** Byte length of the encoding of fingerprints for `count` blocks. */
export function baseFingerprintsLength(count: number): number {
  return HEADER_LENGTH + ENTRY_LENGTH * count + DIGEST_LENGTH;
}

/** True when a full hash starts with a fingerprint's prefix. */
export function matchesPrefix(hash: Uint8Array, prefix: Uint8Array): boolean {
  return hash.byteLength >= HASH_LENGTH && equalBytes(hash.subarray(0, prefix.byteLength), prefix);
}
