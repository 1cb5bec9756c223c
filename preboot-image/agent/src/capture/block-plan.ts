import type { ByteRange } from '../disk/index.js';

/** One store block the capture reads: kept if `used`, else only if a `scan` part is not all zeros. */
export interface PlannedBlock {
  /** Byte offset on the disk: always a multiple of the block size, so versions line up. */
  readonly offset: number;
  /** blockSize, or less for the last block of the disk. */
  readonly length: number;
  /** Some byte of it is in use by a file system, the partition table or boot code. */
  readonly used: boolean;
  /** Parts (relative to `offset`) of unknown content: the block is kept if any is not all zeros. */
  readonly scan: readonly ByteRange[];
}

const end = (r: ByteRange): number => r.offset + r.length;

/** Sorts ranges and merges those that overlap or touch; empty ranges go. */
export function mergeRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = ranges.filter((r) => r.length > 0).sort((a, b) => a.offset - b.offset);
  const out: ByteRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.offset <= end(last)) out[out.length - 1] = { offset: last.offset, length: Math.max(end(last), end(r)) - last.offset };
    else out.push({ offset: r.offset, length: r.length });
  }
  return out;
}

/** `from` minus `remove`, both merged (sorted, not overlapping). */
export function subtractRanges(from: readonly ByteRange[], remove: readonly ByteRange[]): ByteRange[] {
  const out: ByteRange[] = [];
  let j = 0;
  for (const r of from) {
    let at = r.offset;
    while (j < remove.length && end(remove[j] as ByteRange) <= at) j++;
    for (let k = j; k < remove.length && (remove[k] as ByteRange).offset < end(r); k++) {
      const cut = remove[k] as ByteRange;
      if (cut.offset > at) out.push({ offset: at, length: cut.offset - at });
      at = Math.max(at, end(cut));
    }
    if (at < end(r)) out.push({ offset: at, length: end(r) - at });
  }
  return out;
}

/** The parts of `ranges` inside `[0, limit)`. */
export function clipRanges(ranges: readonly ByteRange[], limit: number): ByteRange[] {
  return ranges.filter((r) => r.offset < limit).map((r) => ({ offset: r.offset, length: Math.min(end(r), limit) - r.offset })).filter((r) => r.length > 0);
}

/**
 * Maps used and to-be-scanned byte ranges onto store blocks, in disk order. A block is captured
 * whole if any byte of it is used: its unused bytes travel as they are on the disk (not zeroed),
 * which costs a little compression but keeps every used byte exact whatever the file system's
 * own block size or alignment. Scanned ranges that a used range covers are not scanned again.
 */
export function* planBlocks(usedRanges: readonly ByteRange[], scanRanges: readonly ByteRange[], diskSize: number, blockSize: number): Generator<PlannedBlock> {
  const used = clipRanges(mergeRanges(usedRanges), diskSize).map((r) => ({ ...r, used: true }));
  const scan = subtractRanges(clipRanges(mergeRanges(scanRanges), diskSize), used).map((r) => ({ ...r, used: false }));
  const all = [...used, ...scan].sort((a, b) => a.offset - b.offset);
  let current: { index: number; used: boolean; scan: ByteRange[] } | null = null;
  const emit = (c: NonNullable<typeof current>): PlannedBlock => {
    const offset = c.index * blockSize;
    // A used block is kept whatever its scanned parts hold.
    return { offset, length: Math.min(blockSize, diskSize - offset), used: c.used, scan: c.used ? [] : c.scan };
  };
  for (const r of all) {
    for (let index = Math.floor(r.offset / blockSize); index * blockSize < end(r); index++) {
      if (current !== null && current.index !== index) {
        yield emit(current);
        current = null;
      }
      current ??= { index, used: false, scan: [] };
      if (r.used) current.used = true;
      else {
        const from = Math.max(r.offset, index * blockSize);
        const to = Math.min(end(r), (index + 1) * blockSize);
        current.scan.push({ offset: from - index * blockSize, length: to - from });
      }
    }
  }
  if (current !== null) yield emit(current);
}
