import { createHash } from 'node:crypto';
import { ByteReader, ByteWriter } from '../byte-reader.js';
import { equalBytes } from '../equal-bytes.js';
import { WireError } from '../wire-error.js';
import { HASH_LENGTH, type BlockEntry, type HashAlgorithmId, type Manifest } from './manifest.js';
import { validateBlock, validateManifest, validateManifestHeader } from './validate-manifest.js';

/*
 * Manifest binary format, version 1 (network byte order; docs/manifest-format.md):
 *
 *   0   4  magic "RCMF"
 *   4   2  format version (1)
 *   6   1  hash algorithm (1 = BLAKE3-256)
 *   7   1  hash length (32)
 *   8   4  block size
 *  12   8  disk size
 *  20   4  head length H          (partition-table bytes at the start of the disk)
 *  24   4  tail length T          (backup GPT at the end of the disk)
 *  28   4  block count N
 *  32   H  head bytes
 *       T  tail bytes
 *     N×44 blocks: offset u64, length u32, hash[32]
 *      32  SHA-256 of every byte before it (the manifest's digest)
 *
 * The digest is SHA-256 from node:crypto rather than BLAKE3 because wire/ may only use the
 * platform's crypto; a manifest is a few MB at most, so its speed does not matter.
 */

const MAGIC = 0x52434d46; // "RCMF"
/** Current manifest format version; decoders reject any other. */
export const MANIFEST_FORMAT_VERSION = 1;
const HEADER_LENGTH = 32;
const ENTRY_LENGTH = 8 + 4 + HASH_LENGTH;
const DIGEST_LENGTH = 32;

/** Encodes a manifest after validating it; the last 32 bytes are its digest. */
export function encodeManifest(manifest: Manifest): Uint8Array {
  validateManifest(manifest);
  const { head, tail } = manifest.partitionTable;
  const size = HEADER_LENGTH + head.byteLength + tail.byteLength + manifest.blocks.length * ENTRY_LENGTH + DIGEST_LENGTH;
  const w = new ByteWriter(size);
  w.u32(MAGIC);
  w.u16(MANIFEST_FORMAT_VERSION);
  w.u8(manifest.hashAlgorithm);
  w.u8(HASH_LENGTH);
  w.u32(manifest.blockSize);
  w.u64(manifest.diskSize);
  w.u32(head.byteLength);
  w.u32(tail.byteLength);
  w.u32(manifest.blocks.length);
  w.raw(head);
  w.raw(tail);
  for (const block of manifest.blocks) {
    w.u64(block.offset);
    w.u32(block.length);
    w.raw(block.hash);
  }
  w.raw(sha256(w.bytes.subarray(0, w.position)));
  return w.bytes;
}

/** Decodes and fully validates a manifest; throws WireError naming the field at fault. */
export function decodeManifest(bytes: Uint8Array): Manifest {
  checkDigest(bytes);
  // One copy of the body; hashes and partition-table bytes are views into it, so decoded
  // values never alias the caller's buffer and a million blocks cost one allocation.
  const r = new ByteReader(new Uint8Array(bytes.subarray(0, bytes.byteLength - DIGEST_LENGTH)));
  if (r.u32('magic') !== MAGIC) throw new WireError('RC_ERR_WIRE_BAD_MAGIC', 'magic', 'not a Rackcast manifest');
  const version = r.u16('formatVersion');
  if (version !== MANIFEST_FORMAT_VERSION) {
    throw new WireError('RC_ERR_WIRE_UNSUPPORTED_VERSION', 'formatVersion', `manifest format ${version} is not supported (want ${MANIFEST_FORMAT_VERSION})`);
  }
  const hashAlgorithm = r.u8('hashAlgorithm') as HashAlgorithmId;
  const hashLength = r.u8('hashLength');
  if (hashLength !== HASH_LENGTH) throw new WireError('RC_ERR_WIRE_INVALID', 'hashLength', `hash length ${hashLength}`);
  const blockSize = r.u32('blockSize');
  const diskSize = r.u64('diskSize');
  const headLength = r.u32('partitionTable.headLength');
  const tailLength = r.u32('partitionTable.tailLength');
  const count = r.u32('blockCount');
  // Check the declared sizes against what is there before allocating anything for them.
  const expected = headLength + tailLength + count * ENTRY_LENGTH;
  if (expected !== r.remaining) {
    throw new WireError(expected > r.remaining ? 'RC_ERR_WIRE_TRUNCATED' : 'RC_ERR_WIRE_INVALID', 'blockCount', `declared ${expected} bytes of body, found ${r.remaining}`);
  }
  const partitionTable = { head: r.bytes(headLength, 'partitionTable.head'), tail: r.bytes(tailLength, 'partitionTable.tail') };
  validateManifestHeader({ hashAlgorithm, blockSize, diskSize, partitionTable });
  const blocks = decodeBlocks(r, count, blockSize, diskSize);
  return { hashAlgorithm, blockSize, diskSize, partitionTable, blocks };
}

/** The digest of an encoded manifest: identifies a version's exact content. */
export function manifestDigest(encoded: Uint8Array): Uint8Array {
  if (encoded.byteLength < DIGEST_LENGTH) throw new WireError('RC_ERR_WIRE_TRUNCATED', 'digest', 'shorter than a digest');
  return encoded.subarray(encoded.byteLength - DIGEST_LENGTH);
}

function decodeBlocks(r: ByteReader, count: number, blockSize: number, diskSize: number): BlockEntry[] {
  const blocks: BlockEntry[] = new Array<BlockEntry>(count);
  let previousEnd = 0;
  for (let index = 0; index < count; index++) {
    const offset = r.u64(`blocks[${index}].offset`);
    const length = r.u32(`blocks[${index}].length`);
    const hash = r.bytes(HASH_LENGTH, `blocks[${index}].hash`);
    const block = { index, offset, length, hash };
    validateBlock(block, index, previousEnd, blockSize, diskSize);
    previousEnd = offset + length;
    blocks[index] = block;
  }
  return blocks;
}

function checkDigest(bytes: Uint8Array): void {
  if (bytes.byteLength < HEADER_LENGTH + DIGEST_LENGTH) {
    throw new WireError('RC_ERR_WIRE_TRUNCATED', 'header', `manifest is ${bytes.byteLength} bytes, shorter than its header`);
  }
  const body = bytes.subarray(0, bytes.byteLength - DIGEST_LENGTH);
  const stored = bytes.subarray(bytes.byteLength - DIGEST_LENGTH);
  if (!equalBytes(sha256(body), stored)) {
    throw new WireError('RC_ERR_WIRE_CHECKSUM', 'digest', 'manifest digest does not match its content (damaged or truncated)');
  }
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}
