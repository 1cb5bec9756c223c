import { WireError } from '../wire-error.js';
import { HASH_LENGTH, HashAlgorithm, type BlockEntry, type Manifest } from './manifest.js';

/** Largest block a manifest may name: 16 MiB keeps one block's buffers bounded on a 2 GiB agent. */
export const MAX_BLOCK_SIZE = 16 * 1024 * 1024;
/** Smallest block: one 4 KiB page; smaller blocks make the index larger than the dedup win. */
export const MIN_BLOCK_SIZE = 4096;
/** Partition-table byte regions are at most 1 MiB each (GPT with 128 entries needs 17 KiB). */
export const MAX_PARTITION_TABLE_BYTES = 1024 * 1024;

function invalid(field: string, message: string): WireError {
  return new WireError('RC_ERR_WIRE_INVALID', field, message);
}

/** Checks the header fields of a manifest; throws RC_ERR_WIRE_INVALID naming the field. */
export function validateManifestHeader(m: Pick<Manifest, 'hashAlgorithm' | 'blockSize' | 'diskSize' | 'partitionTable'>): void {
  if (m.hashAlgorithm !== HashAlgorithm.Blake3_256) throw invalid('hashAlgorithm', `unknown hash algorithm ${m.hashAlgorithm}`);
  if (!Number.isInteger(m.blockSize) || m.blockSize < MIN_BLOCK_SIZE || m.blockSize > MAX_BLOCK_SIZE || m.blockSize % 512 !== 0) {
    throw invalid('blockSize', `block size ${m.blockSize} is not a multiple of 512 between ${MIN_BLOCK_SIZE} and ${MAX_BLOCK_SIZE}`);
  }
  if (!Number.isSafeInteger(m.diskSize) || m.diskSize < 0) throw invalid('diskSize', `disk size ${m.diskSize} is not a non-negative integer`);
  if (m.partitionTable.head.byteLength > MAX_PARTITION_TABLE_BYTES) throw invalid('partitionTable.head', 'longer than 1 MiB');
  if (m.partitionTable.tail.byteLength > MAX_PARTITION_TABLE_BYTES) throw invalid('partitionTable.tail', 'longer than 1 MiB');
}

/**
 * Checks one block against the manifest invariants: in order, inside the disk, not
 * overlapping the previous block, no longer than the block size, a 32-byte hash.
 * `previousEnd` is where the previous block ended (0 for the first).
 */
export function validateBlock(block: BlockEntry, i: number, previousEnd: number, blockSize: number, diskSize: number): void {
  const field = `blocks[${i}]`;
  if (block.index !== i) throw invalid(`${field}.index`, `index ${block.index} out of sequence`);
  if (!Number.isSafeInteger(block.offset) || block.offset < previousEnd) {
    throw invalid(`${field}.offset`, `offset ${block.offset} is before the end of the previous block (${previousEnd})`);
  }
  if (!Number.isInteger(block.length) || block.length < 1 || block.length > blockSize) {
    throw invalid(`${field}.length`, `length ${block.length} is not within 1..${blockSize}`);
  }
  if (block.offset + block.length > diskSize) throw invalid(`${field}.offset`, `block ends past the disk (${diskSize})`);
  if (block.hash.byteLength !== HASH_LENGTH) throw invalid(`${field}.hash`, `hash is ${block.hash.byteLength} bytes, not ${HASH_LENGTH}`);
}

/** Checks every invariant of a manifest; throws a WireError naming the first field at fault. */
export function validateManifest(m: Manifest): void {
  validateManifestHeader(m);
  let previousEnd = 0;
  m.blocks.forEach((block, i) => {
    validateBlock(block, i, previousEnd, m.blockSize, m.diskSize);
    previousEnd = block.offset + block.length;
  });
}
