import { runTool, type ToolRunner } from './run-tool.js';
import { zeroRanges, type ByteRange } from './zero-ranges.js';

/** A stored block's place on the disk (a manifest entry). */
export interface StoredExtent {
  readonly offset: number;
  readonly length: number;
}

/** Byte ranges of [0, limit) that no stored block covers, in disk order. */
export function unstoredRanges(blocks: readonly StoredExtent[], limit: number): ByteRange[] {
  const sorted = [...blocks].sort((a, b) => a.offset - b.offset);
  const out: ByteRange[] = [];
  let at = 0;
  for (const b of sorted) {
    if (b.offset >= limit) break;
    if (b.offset > at) out.push({ offset: at, length: b.offset - at });
    at = Math.max(at, b.offset + b.length);
  }
  if (at < limit) out.push({ offset: at, length: limit - at });
  return out;
}

/**
 * Zeroes the parts of the image's used extent that the image does not store. The store leaves
 * out all-zero blocks, and some of those lie inside filesystems (zeroed inode tables, files
 * full of zeros): on a disk that held another system, not writing them would leave its old
 * bytes where the clone expects zeros. `fallocate --zero-range` lets the device zero a range
 * itself (WRITE ZEROES / discard on SSDs, NVMe, virtio); where it cannot, zeros are written.
 */
export async function zeroUnstoredRanges(devicePath: string, blocks: readonly StoredExtent[], limit: number, runner: ToolRunner = runTool): Promise<{ ranges: number; bytes: number }> {
  const ranges = unstoredRanges(blocks, limit);
  const fallback: ByteRange[] = [];
  for (const r of ranges) {
    const run = await runner('fallocate', ['--zero-range', '--offset', String(r.offset), '--length', String(r.length), devicePath], { timeoutMs: 600_000 });
    if (run.code !== 0) fallback.push(r);
  }
  if (fallback.length > 0) await zeroRanges(devicePath, fallback);
  return { ranges: ranges.length, bytes: ranges.reduce((n, r) => n + r.length, 0) };
}
