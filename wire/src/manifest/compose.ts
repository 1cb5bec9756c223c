import { equalBytes } from '../equal-bytes.js';
import { WireError } from '../wire-error.js';
import type { BlockEntry, HashAlgorithmId, Manifest, PartitionTableBytes } from './manifest.js';
import { validateBlock, validateManifest, validateManifestHeader } from './validate-manifest.js';

/** A changed or new block of a later capture: its content travelled (or is already stored). */
export interface NewBlock {
  readonly kind: 'new';
  readonly offset: number;
  readonly length: number;
  readonly hash: Uint8Array;
}

/**
 * A run of `count` unchanged blocks of the base version starting at `baseIndex`: same
 * offset, length and content as in the base, so nothing but this reference travels.
 */
export interface BaseRef {
  readonly kind: 'ref';
  readonly baseIndex: number;
  readonly count: number;
}

export type DeltaBlock = NewBlock | BaseRef;

/** What an incremental capture sends: changed blocks plus references into its base version. */
export interface ManifestDelta {
  /** Digest of the base manifest's encoding; the store refuses a delta against another base. */
  readonly baseDigest: Uint8Array;
  readonly hashAlgorithm: HashAlgorithmId;
  readonly blockSize: number;
  readonly diskSize: number;
  readonly partitionTable: PartitionTableBytes;
  /** In ascending disk order. Base blocks not referenced are no longer used and are dropped. */
  readonly blocks: readonly DeltaBlock[];
}

/** What composition did, for the version record and the capture report. */
export interface ComposeStats {
  readonly reusedBlocks: number;
  readonly newBlocks: number;
  readonly droppedBlocks: number;
  /** Bytes covered by new blocks (before compression). */
  readonly newBytes: number;
}

export interface ComposeResult {
  readonly manifest: Manifest;
  readonly stats: ComposeStats;
}

/**
 * Builds the synthetic full version from a base version and an incremental delta, without
 * touching block data: references resolve to the base's hashes, new blocks are taken as they
 * are, and base blocks the delta does not mention are left out. The result is validated like
 * any manifest (ordered, non-overlapping, inside the disk), so a delta cannot produce a
 * version that would not restore on its own.
 */
export function composeVersion(base: Manifest, delta: ManifestDelta): ComposeResult {
  if (delta.hashAlgorithm !== base.hashAlgorithm) {
    throw new WireError('RC_ERR_MANIFEST_BASE_MISMATCH', 'hashAlgorithm', 'delta and base use different hash algorithms');
  }
  if (delta.blockSize !== base.blockSize) {
    throw new WireError('RC_ERR_MANIFEST_BASE_MISMATCH', 'blockSize', `delta block size ${delta.blockSize} differs from base ${base.blockSize}`);
  }
  validateManifestHeader(delta);
  const blocks: BlockEntry[] = [];
  let previousEnd = 0;
  // Each block is checked as it is appended, so a small delta whose runs overlap (e.g. many
  // references to the whole base) fails at the first overlap instead of building runs × base blocks.
  const append = (offset: number, length: number, hash: Uint8Array): void => {
    const block = { index: blocks.length, offset, length, hash };
    validateBlock(block, block.index, previousEnd, delta.blockSize, delta.diskSize);
    previousEnd = offset + length;
    blocks.push(block);
  };
  const used = new Uint8Array(base.blocks.length);
  let newBlocks = 0;
  let newBytes = 0;
  delta.blocks.forEach((item, i) => {
    if (item.kind === 'new') {
      append(item.offset, item.length, item.hash);
      newBlocks++;
      newBytes += item.length;
      return;
    }
    checkRef(item, i, base.blocks.length);
    for (let k = item.baseIndex; k < item.baseIndex + item.count; k++) {
      const from = base.blocks[k] as BlockEntry;
      used[k] = 1;
      append(from.offset, from.length, from.hash);
    }
  });
  const manifest: Manifest = {
    hashAlgorithm: delta.hashAlgorithm,
    blockSize: delta.blockSize,
    diskSize: delta.diskSize,
    partitionTable: delta.partitionTable,
    blocks,
  };
  validateManifest(manifest);
  const reusedBlocks = used.reduce((n, u) => n + u, 0);
  return { manifest, stats: { reusedBlocks, newBlocks, droppedBlocks: base.blocks.length - reusedBlocks, newBytes } };
}

function checkRef(ref: BaseRef, i: number, baseCount: number): void {
  const ok = Number.isInteger(ref.baseIndex) && Number.isInteger(ref.count) && ref.baseIndex >= 0 && ref.count >= 1
    && ref.baseIndex + ref.count <= baseCount;
  if (!ok) {
    throw new WireError('RC_ERR_MANIFEST_DANGLING_REF', `blocks[${i}]`,
      `reference to base blocks ${ref.baseIndex}..${ref.baseIndex + ref.count - 1} but the base has ${baseCount}`);
  }
}

/**
 * Computes the delta that turns `base` into `next`: blocks of `next` whose offset, length and
 * hash equal the base block at the same offset become references (runs merged), the rest are
 * new. The agent uses this after hashing a disk; tests use it to check composition round-trips.
 */
export function diffManifests(base: Manifest, baseDigest: Uint8Array, next: Manifest): ManifestDelta {
  const byOffset = new Map<number, BlockEntry>();
  for (const b of base.blocks) byOffset.set(b.offset, b);
  const blocks: DeltaBlock[] = [];
  for (const b of next.blocks) {
    const old = byOffset.get(b.offset);
    if (old !== undefined && old.length === b.length && equalBytes(old.hash, b.hash)) {
      appendRef(blocks, old.index);
    } else {
      blocks.push({ kind: 'new', offset: b.offset, length: b.length, hash: b.hash });
    }
  }
  const { hashAlgorithm, blockSize, diskSize, partitionTable } = next;
  return { baseDigest, hashAlgorithm, blockSize, diskSize, partitionTable, blocks };
}

function appendRef(blocks: DeltaBlock[], baseIndex: number): void {
  const last = blocks[blocks.length - 1];
  if (last?.kind === 'ref' && last.baseIndex + last.count === baseIndex) {
    blocks[blocks.length - 1] = { ...last, count: last.count + 1 };
  } else {
    blocks.push({ kind: 'ref', baseIndex, count: 1 });
  }
}
