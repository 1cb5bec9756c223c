import { DiskError } from './disk-error.js';
import type { FitContext } from './fit-context.js';
import type { PartitionChange } from './partition-fit.js';
import { readPartitionTable, type PartitionTable } from './partition-table.js';

/**
 * Reads the table back after a write and proves it is what was meant: same label, every
 * partition at its old start with its old or new size, and (GPT) the usable space ending where
 * the backup at the disk's end leaves it.
 */
export async function verifyTable(ctx: FitContext, before: PartitionTable, changes: readonly (PartitionChange | null)[], lastLba: number | null): Promise<void> {
  const after = await readPartitionTable(ctx.runner, ctx.device.path);
  const problems: string[] = [];
  if (after.label !== before.label) problems.push(`label ${after.label}, expected ${before.label}`);
  if (lastLba !== null && after.lastLba !== lastLba) problems.push(`last usable sector ${String(after.lastLba)}, expected ${lastLba}`);
  for (const p of before.partitions) {
    const want = changes.find((c) => c?.number === p.number)?.newSize ?? p.size;
    const got = after.partitions.find((q) => q.number === p.number);
    if (got?.start !== p.start || got.size !== want) problems.push(`partition ${p.number} at ${String(got?.start)}+${String(got?.size)}, expected ${p.start}+${want}`);
  }
  if (after.partitions.length !== before.partitions.length) problems.push(`${after.partitions.length} partitions, expected ${before.partitions.length}`);
  if (problems.length > 0) throw new DiskError('RC_ERR_DISK_TOOL', `the partition table written to ${ctx.device.name} is not the planned one: ${problems.join('; ')}`);
}
