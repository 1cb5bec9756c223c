import { createHash } from 'node:crypto';
import { ByteReader, ByteWriter } from '../byte-reader.js';
import { equalBytes } from '../equal-bytes.js';
import { WireError } from '../wire-error.js';
import type { DeltaBlock, ManifestDelta } from './compose.js';
import { HASH_LENGTH, type HashAlgorithmId } from './manifest.js';
import { validateManifestHeader } from './validate-manifest.js';

/*
 * Manifest delta binary format, version 1 (network byte order; docs/manifest-format.md):
 *
 *   0   4  magic "RCMD"
 *   4   2  format version (1)
 *   6   1  hash algorithm     7  1  hash length (32)
 *   8   4  block size        12  8  disk size
 *  20   4  head length H     24  4  tail length T
 *  28  32  base digest       60  4  item count N
 *  64   H  head bytes, then T tail bytes
 *       N items, each a tag byte then:
 *         1 new: offset u64, length u32, hash[32]     (45 bytes)
 *         2 ref: base index u32, count u32            (9 bytes: a run of unchanged blocks)
 *      32  SHA-256 of every byte before it
 */

const MAGIC = 0x52434d44; // "RCMD"
const VERSION = 1;
const HEADER_LENGTH = 64;
const DIGEST_LENGTH = 32;
const TAG_NEW = 1;
const TAG_REF = 2;
const NEW_LENGTH = 1 + 8 + 4 + HASH_LENGTH;
const REF_LENGTH = 1 + 4 + 4;
const U32_MAX = 0xffffffff;

/** Encodes a delta for upload; header fields and item field ranges are validated, item order by the composer. */
export function encodeManifestDelta(delta: ManifestDelta): Uint8Array {
  validateManifestHeader(delta);
  if (delta.baseDigest.byteLength !== DIGEST_LENGTH) throw new WireError('RC_ERR_WIRE_INVALID', 'baseDigest', 'base digest must be 32 bytes');
  const { head, tail } = delta.partitionTable;
  const body = delta.blocks.reduce((n, b) => n + (b.kind === 'new' ? NEW_LENGTH : REF_LENGTH), 0);
  const w = new ByteWriter(HEADER_LENGTH + head.byteLength + tail.byteLength + body + DIGEST_LENGTH);
  w.u32(MAGIC);
  w.u16(VERSION);
  w.u8(delta.hashAlgorithm);
  w.u8(HASH_LENGTH);
  w.u32(delta.blockSize);
  w.u64(delta.diskSize);
  w.u32(head.byteLength);
  w.u32(tail.byteLength);
  w.raw(delta.baseDigest);
  w.u32(delta.blocks.length);
  w.raw(head);
  w.raw(tail);
  delta.blocks.forEach((b, i) => writeItem(w, b, i));
  w.raw(sha256(w.bytes.subarray(0, w.position)));
  return w.bytes;
}

function writeItem(w: ByteWriter, b: DeltaBlock, i: number): void {
  if (b.kind === 'new') {
    if (b.hash.byteLength !== HASH_LENGTH) throw new WireError('RC_ERR_WIRE_INVALID', `blocks[${i}].hash`, 'hash must be 32 bytes');
    checkFits(b.offset, Number.MAX_SAFE_INTEGER, `blocks[${i}].offset`);
    checkFits(b.length, U32_MAX, `blocks[${i}].length`);
    w.u8(TAG_NEW);
    w.u64(b.offset);
    w.u32(b.length);
    w.raw(b.hash);
  } else {
    checkFits(b.baseIndex, U32_MAX, `blocks[${i}].baseIndex`);
    checkFits(b.count, U32_MAX, `blocks[${i}].count`);
    w.u8(TAG_REF);
    w.u32(b.baseIndex);
    w.u32(b.count);
  }
}

/** Refuses a value its wire field cannot hold, instead of letting the writer wrap or throw RangeError. */
function checkFits(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new WireError('RC_ERR_WIRE_INVALID', field, `${value} is not an integer within 0..${max}`);
  }
}

/** Decodes a delta; throws WireError naming the field at fault. */
export function decodeManifestDelta(bytes: Uint8Array): ManifestDelta {
  if (bytes.byteLength < HEADER_LENGTH + DIGEST_LENGTH) throw new WireError('RC_ERR_WIRE_TRUNCATED', 'header', 'shorter than a delta header');
  const bodyEnd = bytes.byteLength - DIGEST_LENGTH;
  if (!equalBytes(sha256(bytes.subarray(0, bodyEnd)), bytes.subarray(bodyEnd))) {
    throw new WireError('RC_ERR_WIRE_CHECKSUM', 'digest', 'delta digest does not match its content (damaged or truncated)');
  }
  const r = new ByteReader(new Uint8Array(bytes.subarray(0, bodyEnd)));
  if (r.u32('magic') !== MAGIC) throw new WireError('RC_ERR_WIRE_BAD_MAGIC', 'magic', 'not a Rackcast manifest delta');
  const version = r.u16('formatVersion');
  if (version !== VERSION) throw new WireError('RC_ERR_WIRE_UNSUPPORTED_VERSION', 'formatVersion', `delta format ${version} is not supported`);
  const hashAlgorithm = r.u8('hashAlgorithm') as HashAlgorithmId;
  if (r.u8('hashLength') !== HASH_LENGTH) throw new WireError('RC_ERR_WIRE_INVALID', 'hashLength', 'hash length must be 32');
  const blockSize = r.u32('blockSize');
  const diskSize = r.u64('diskSize');
  const headLength = r.u32('partitionTable.headLength');
  const tailLength = r.u32('partitionTable.tailLength');
  const baseDigest = r.bytes(DIGEST_LENGTH, 'baseDigest');
  const count = r.u32('itemCount');
  // Each item takes at least REF_LENGTH bytes: refuse a count the body cannot hold before allocating.
  if (headLength + tailLength + count * REF_LENGTH > r.remaining) {
    throw new WireError('RC_ERR_WIRE_TRUNCATED', 'itemCount', `${count} items cannot fit in ${r.remaining} bytes`);
  }
  const partitionTable = { head: r.bytes(headLength, 'partitionTable.head'), tail: r.bytes(tailLength, 'partitionTable.tail') };
  validateManifestHeader({ hashAlgorithm, blockSize, diskSize, partitionTable });
  const blocks: DeltaBlock[] = [];
  for (let i = 0; i < count; i++) blocks.push(readItem(r, i));
  if (r.remaining !== 0) throw new WireError('RC_ERR_WIRE_INVALID', 'itemCount', `${r.remaining} bytes after the last item`);
  return { baseDigest, hashAlgorithm, blockSize, diskSize, partitionTable, blocks };
}

function readItem(r: ByteReader, i: number): DeltaBlock {
  const tag = r.u8(`blocks[${i}].tag`);
  if (tag === TAG_NEW) {
    const offset = r.u64(`blocks[${i}].offset`);
    const length = r.u32(`blocks[${i}].length`);
    return { kind: 'new', offset, length, hash: r.bytes(HASH_LENGTH, `blocks[${i}].hash`) };
  }
  if (tag === TAG_REF) {
    const baseIndex = r.u32(`blocks[${i}].baseIndex`);
    return { kind: 'ref', baseIndex, count: r.u32(`blocks[${i}].count`) };
  }
  throw new WireError('RC_ERR_WIRE_INVALID', `blocks[${i}].tag`, `unknown item tag ${tag}`);
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}
