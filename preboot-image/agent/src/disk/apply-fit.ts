import { DiskError } from './disk-error.js';
import { ext4MinimumBytes, requireExt4, resizeExt4, type Ext4Place } from './ext4-resize.js';
import type { FitContext, FitResult } from './fit-context.js';
import type { PartitionChange, PartitionFit } from './partition-fit.js';
import { runDiskTool } from './disk-tool.js';

const MIB = 2 ** 20;

type Changed = Pick<FitResult, 'partition' | 'filesystem'>;

function placeOf(ctx: FitContext, change: PartitionChange, sectorSize: number): Ext4Place {
  return { device: ctx.device.path, offset: change.start * sectorSize, partitionBytes: change.newSize * sectorSize };
}

/** Before anything is written: a shrunk partition must hold a file system that can shrink that far. */
async function refuseImpossibleShrink(ctx: FitContext, change: PartitionChange, place: Ext4Place): Promise<void> {
  const what = `partition ${change.number}`;
  if (ctx.plan.layout.filesystem !== 'ext4') {
    throw new DiskError('RC_ERR_DISK_TOO_SMALL', `${what} must shrink to fit this disk, but the plan names no file system the agent can shrink in it. Use a disk of at least ${ctx.plan.image.diskBytes} bytes.`);
  }
  const sb = await requireExt4(place, what);
  const least = await ext4MinimumBytes(ctx.runner, place, sb.blockSize);
  if (least > place.partitionBytes) {
    const short = least - place.partitionBytes;
    throw new DiskError('RC_ERR_DISK_TOO_SMALL', `the file system of ${what} needs at least ${least} bytes, but on this disk the partition can only have ${place.partitionBytes}: ${short} bytes (${Math.ceil(short / MIB)} MiB) short. Use a bigger disk or an image with less data.`);
  }
}

/**
 * Carries out a planned fit in the safe order: every refusal is decided before the first
 * write; a file system that shrinks is shrunk before its partition is cut, one that grows is
 * grown after its partition has grown. `writeTable` writes the new table (and moves the GPT
 * backup); it runs even when no partition changes.
 */
export async function applyFit(ctx: FitContext, sectorSize: number, fit: PartitionFit, writeTable: () => Promise<void>): Promise<Changed> {
  const change = fit.resize;
  if (change === null) {
    await writeTable();
    return { partition: null, filesystem: null };
  }
  const place = placeOf(ctx, change, sectorSize);
  const shrinking = change.newSize < change.oldSize;
  if (shrinking) await refuseImpossibleShrink(ctx, change, place);
  const ext4 = ctx.plan.layout.filesystem === 'ext4';
  let fs = null;
  if (shrinking) {
    ctx.log(`shrinking the file system of partition ${change.number} to ${place.partitionBytes} bytes`);
    fs = await resizeExt4(ctx.runner, place, `partition ${change.number}`);
  }
  await writeTable();
  if (!shrinking && ext4) {
    ctx.log(`growing the file system of partition ${change.number} to ${place.partitionBytes} bytes`);
    fs = await resizeExt4(ctx.runner, place, `partition ${change.number}`);
  }
  const partition = { number: change.number, startBytes: place.offset, oldEndBytes: (change.start + change.oldSize) * sectorSize, newEndBytes: (change.start + change.newSize) * sectorSize };
  return { partition, filesystem: fs === null ? null : { type: 'ext4', ...fs } };
}

/** Sets partition sizes with `sfdisk -N` (start, type, GUIDs and name stay), in the order given. */
export async function setPartitionSizes(ctx: FitContext, changes: readonly (PartitionChange | null)[]): Promise<void> {
  for (const c of changes) {
    if (c === null) continue;
    ctx.log(`setting partition ${c.number} to ${c.newSize} sectors (was ${c.oldSize})`);
    await runDiskTool(ctx.runner, 'sfdisk', [...SFDISK_WRITE, '-N', String(c.number), ctx.device.path], { input: `, ${c.newSize}\n` });
  }
}

/**
 * sfdisk options for every write: the kernel is not asked to re-read the table (the disk is not
 * in use, and no partition node is used: e2fsprogs reach file systems by offset), and no
 * signature is wiped (the data is the image's, and must stay).
 */
export const SFDISK_WRITE: readonly string[] = ['--no-reread', '--no-tell-kernel', '--wipe', 'never', '--wipe-partitions', 'never'];
