import { applyFit, setPartitionSizes } from './apply-fit.js';
import { DiskError } from './disk-error.js';
import type { FitContext, FitResult } from './fit-context.js';
import { planPartitionFit } from './partition-fit.js';
import { readPartitionTable } from './partition-table.js';
import { verifyTable } from './verify-table.js';

/** MBR fields are 32-bit sector numbers: with 512-byte sectors nothing past 2 TiB can be addressed. */
const MBR_MAX_SECTORS = 0xffffffff;

/**
 * Fits a restored MBR disk to the target: the planned partition (and its extended container, for
 * a logical one) ends at the disk's end, or at 2^32 sectors. Containers grow before and shrink
 * after the logical partition inside them.
 */
export async function fitMbr(ctx: FitContext): Promise<FitResult> {
  const table = await readPartitionTable(ctx.runner, ctx.device.path);
  if (table.label !== 'dos') throw new DiskError('RC_ERR_DISK_LAYOUT', `${ctx.device.name} holds a GPT, but the plan says the image is MBR`);
  const usableEnd = Math.min(Math.floor(ctx.device.sizeBytes / table.sectorSize), MBR_MAX_SECTORS);
  const fit = planPartitionFit(table, ctx.plan.layout.resizePartition, usableEnd);
  const notes = [...fit.notes];
  if (usableEnd === MBR_MAX_SECTORS) notes.push('the disk is bigger than an MBR can address: partitions end at 2^32 sectors');
  const changed = await applyFit(ctx, table.sectorSize, fit, async () => {
    const growing = fit.resize !== null && fit.resize.newSize > fit.resize.oldSize;
    await setPartitionSizes(ctx, growing ? [fit.container, fit.resize] : [fit.resize, fit.container]);
    await verifyTable(ctx, table, [fit.resize, fit.container], null);
  });
  return { table: 'mbr', imageBytes: ctx.plan.image.diskBytes, diskBytes: ctx.device.sizeBytes, backupGpt: 'none', staleBackupWiped: false, ...changed, notes };
}
