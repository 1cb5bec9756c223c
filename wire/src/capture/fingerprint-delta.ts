import type { DeltaBlock, ManifestDelta, NewBlock } from '../manifest/compose.js';
import type { Manifest } from '../manifest/manifest.js';
import { WireError } from '../wire-error.js';
import { matchesPrefix, type BaseFingerprints, type BlockFingerprint } from './base-fingerprints.js';

/**
 * The delta that turns the base into `next`, from the base's fingerprints: a block of `next`
 * becomes a reference when the base has a block at the same offset, with the same length,
 * whose hash starts with the same 8 bytes (runs of consecutive base blocks merged); every other
 * block is new. Like `diffManifests`, but the agent needs only the fingerprints, not the base
 * manifest. `composeVersion(base, delta)` then rebuilds `next` with the base's full hashes.
 */
export function diffAgainstFingerprints(base: BaseFingerprints, next: Manifest): ManifestDelta {
  if (base.hashAlgorithm !== next.hashAlgorithm) throw new WireError('RC_ERR_MANIFEST_BASE_MISMATCH', 'hashAlgorithm', 'base and next use different hash algorithms');
  if (base.blockSize !== next.blockSize) throw new WireError('RC_ERR_MANIFEST_BASE_MISMATCH', 'blockSize', `base block size ${base.blockSize} differs from ${next.blockSize}`);
  const byOffset = new Map<number, { index: number; block: BlockFingerprint }>();
  base.blocks.forEach((block, index) => byOffset.set(block.offset, { index, block }));
  const blocks: DeltaBlock[] = [];
  for (const b of next.blocks) {
    const old = byOffset.get(b.offset);
    if (old !== undefined && old.block.length === b.length && matchesPrefix(b.hash, old.block.prefix)) {
      appendRef(blocks, old.index);
    } else {
      blocks.push({ kind: 'new', offset: b.offset, length: b.length, hash: b.hash });
    }
  }
  const { hashAlgorithm, blockSize, diskSize, partitionTable } = next;
  return { baseDigest: base.baseDigest, hashAlgorithm, blockSize, diskSize, partitionTable, blocks };
}

function appendRef(blocks: DeltaBlock[], baseIndex: number): void {
  const last = blocks[blocks.length - 1];
  if (last?.kind === 'ref' && last.baseIndex + last.count === baseIndex) {
    blocks[blocks.length - 1] = { ...last, count: last.count + 1 };
  } else {
    blocks.push({ kind: 'ref', baseIndex, count: 1 });
  }
}

/** The new blocks of a delta, in order: what the agent may have to upload. */
export function newBlocksOf(delta: ManifestDelta): NewBlock[] {
  return delta.blocks.filter((b): b is NewBlock => b.kind === 'new');
}
