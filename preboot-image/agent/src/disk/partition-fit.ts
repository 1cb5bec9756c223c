import { DiskError } from './disk-error.js';
import { EXTENDED_TYPES, partitionEnd, type Partition, type PartitionTable } from './partition-table.js';

/** One partition's new size, in sectors. */
export interface PartitionChange {
  readonly number: number;
  readonly start: number;
  readonly oldSize: number;
  readonly newSize: number;
}

/** What fitting changes in the table. */
export interface PartitionFit {
  /** The planned partition, grown or shrunk to end where the usable space ends; null: none changes. */
  readonly resize: PartitionChange | null;
  /** MBR: the extended partition around a logical one, changed the same way; null otherwise. */
  readonly container: PartitionChange | null;
  readonly notes: readonly string[];
}

const MIB = 2 ** 20;

function change(p: Partition, end: number): PartitionChange {
  return { number: p.number, start: p.start, oldSize: p.size, newSize: end - p.start };
}

function containerOf(table: PartitionTable, p: Partition): Partition | null {
  if (table.label !== 'dos' || p.number < 5) return null;
  return table.partitions.find((q) => EXTENDED_TYPES.includes(q.type.toLowerCase())) ?? null;
}

/**
 * Which partition ends where after fitting the table to a disk whose usable sectors end (exclusive)
 * at `usableEnd`: the planned partition (if any, and if it is the last one on the disk) is set
 * to end there, with its MBR extended container. Throws RC_ERR_DISK_TOO_SMALL when another
 * partition would not fit, and RC_ERR_DISK_LAYOUT when the planned partition is not in the table.
 * Pure: the caller decides when to write.
 */
export function planPartitionFit(table: PartitionTable, resizePartition: number | null, usableEnd: number): PartitionFit {
  const notes: string[] = [];
  const target = resizePartition === null ? null : table.partitions.find((p) => p.number === resizePartition);
  if (resizePartition !== null && target === undefined) {
    throw new DiskError('RC_ERR_DISK_LAYOUT', `the plan resizes partition ${resizePartition}, but the restored table has only ${table.partitions.map((p) => p.number).join(', ') || 'no partitions'}`);
  }
  const container = target ? containerOf(table, target) : null;
  const later = target ? table.partitions.filter((p) => p !== target && p !== container && p.start > target.start) : [];
  const movable = target && later.length === 0 ? target : null;
  if (target && !movable) notes.push(`partition ${target.number} is followed by partition ${later.map((p) => p.number).join(', ')}: only the last partition can reach the disk's end, so it keeps its size`);
  for (const p of table.partitions) {
    if (p === movable || (movable && p === container)) continue;
    const over = partitionEnd(p) - usableEnd;
    if (over > 0) {
      const bytes = over * table.sectorSize;
      throw new DiskError('RC_ERR_DISK_TOO_SMALL', `partition ${p.number} ends ${bytes} bytes (${Math.ceil(bytes / MIB)} MiB) past the usable end of this disk and the plan does not shrink it. Use a bigger disk, or plan the deploy to resize partition ${p.number}.`);
    }
  }
  if (!movable) return { resize: null, container: null, notes };
  if (usableEnd <= movable.start) {
    throw new DiskError('RC_ERR_DISK_TOO_SMALL', `partition ${movable.number} starts at sector ${movable.start}, at or past the usable end of this disk (sector ${usableEnd})`);
  }
  if (partitionEnd(movable) === usableEnd) notes.push(`partition ${movable.number} already ends at the disk's end`);
  return {
    resize: partitionEnd(movable) === usableEnd ? null : change(movable, usableEnd),
    container: container && partitionEnd(container) !== usableEnd ? change(container, usableEnd) : null,
    notes,
  };
}
