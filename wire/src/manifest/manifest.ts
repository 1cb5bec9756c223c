/** Hash algorithms a manifest may name. BLAKE3 was chosen by measurement (docs/store.md). */
export const HashAlgorithm = {
  Blake3_256: 1,
} as const;
export type HashAlgorithmId = (typeof HashAlgorithm)[keyof typeof HashAlgorithm];

/** Every content hash in a manifest is this long (BLAKE3-256). */
export const HASH_LENGTH = 32;

/** One used region of the disk: the `index`-th block of the stream. */
export interface BlockEntry {
  /** Position in the manifest, 0-based; also the block number in the multicast stream. */
  readonly index: number;
  /** Byte offset on the disk, e.g. 1048576. */
  readonly offset: number;
  /** Bytes in this block, 1..blockSize, e.g. 1048576. */
  readonly length: number;
  /** Content address of the uncompressed bytes (BLAKE3-256, 32 bytes). */
  readonly hash: Uint8Array;
}

/**
 * The disk's partition-table bytes, kept apart from the blocks so that a plan can read the
 * layout without fetching data: `head` is LBA 0 up to the end of the primary GPT entries,
 * `tail` the backup GPT at the end of the disk (empty for MBR disks).
 */
export interface PartitionTableBytes {
  readonly head: Uint8Array;
  readonly tail: Uint8Array;
}

/** A version's state file: the ordered list of used blocks of one disk. */
export interface Manifest {
  readonly hashAlgorithm: HashAlgorithmId;
  /** Nominal block size in bytes; every block is at most this long, e.g. 1048576. */
  readonly blockSize: number;
  /** Size of the whole disk in bytes, including unused regions, e.g. 8589934592. */
  readonly diskSize: number;
  readonly partitionTable: PartitionTableBytes;
  /** Used blocks in ascending, non-overlapping offset order; `blocks[i].index === i`. */
  readonly blocks: readonly BlockEntry[];
}

/** Bytes covered by the manifest's blocks (used bytes of the disk). */
export function usedBytes(manifest: Manifest): number {
  let total = 0;
  for (const block of manifest.blocks) total += block.length;
  return total;
}
