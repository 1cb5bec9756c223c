import { applyFit, setPartitionSizes, SFDISK_WRITE } from './apply-fit.js';
import { DiskError } from './disk-error.js';
import { runDiskTool } from './disk-tool.js';
import type { FitContext, FitResult } from './fit-context.js';
import { editGptScript, readGptFromHead } from './gpt-scratch.js';
import { lastUsableLba, readPrimaryGptHeader, type GptHeader } from './gpt-header.js';
import { planPartitionFit } from './partition-fit.js';
import { readPartitionTable, type PartitionTable } from './partition-table.js';
import { verifyTable } from './verify-table.js';
import { zeroRanges } from './zero-ranges.js';

async function primaryHeader(ctx: FitContext): Promise<GptHeader> {
  const header = await readPrimaryGptHeader(ctx.device.path, ctx.device.sectorSize);
  if (header === null) throw new DiskError('RC_ERR_DISK_LAYOUT', `${ctx.device.name} has no GPT header at sector 1, but the plan says the image is GPT`);
  return header;
}

function requireGpt(table: PartitionTable, ctx: FitContext): void {
  if (table.label !== 'gpt') throw new DiskError('RC_ERR_DISK_LAYOUT', `${ctx.device.name} holds an MBR table, but the plan says the image is GPT`);
}

/**
 * The image's old backup (entries and header, after its last usable sector), now inside a bigger
 * disk's free space: zeroed, so that no tool later mistakes it for a table of this disk.
 */
async function wipeStaleBackup(ctx: FitContext, old: GptHeader): Promise<void> {
  const ss = ctx.device.sectorSize;
  const offset = (old.lastUsableLba + 1) * ss;
  const end = Math.min((old.alternateLba + 1) * ss, ctx.device.sizeBytes - ss);
  if (end > offset) await zeroRanges(ctx.device.path, [{ offset, length: end - offset }]);
}

/** Same size or bigger: sfdisk reads the table; move the backup to the end, then resize. */
async function fitLargerGpt(ctx: FitContext, header: GptHeader, usableEnd: number): Promise<FitResult> {
  const table = await readPartitionTable(ctx.runner, ctx.device.path);
  requireGpt(table, ctx);
  const fit = planPartitionFit(table, ctx.plan.layout.resizePartition, usableEnd);
  const grown = ctx.device.sizeBytes > ctx.plan.image.diskBytes;
  const changed = await applyFit(ctx, table.sectorSize, fit, async () => {
    if (grown) {
      ctx.log('moving the backup GPT to the end of the disk');
      await runDiskTool(ctx.runner, 'sfdisk', [...SFDISK_WRITE, '--relocate', 'gpt-bak-std', ctx.device.path]);
      await wipeStaleBackup(ctx, header);
    }
    await setPartitionSizes(ctx, [fit.resize]);
    await verifyTable(ctx, table, [fit.resize], usableEnd - 1);
  });
  return result(ctx, grown ? 'moved' : 'unchanged', grown, changed, fit.notes);
}

/** Smaller: the table is rewritten from the primary, for this disk, after the file system shrank. */
async function fitSmallerGpt(ctx: FitContext, header: GptHeader, usableEnd: number): Promise<FitResult> {
  const copy = await readGptFromHead(ctx, header);
  const fit = planPartitionFit(copy.table, ctx.plan.layout.resizePartition, usableEnd);
  const changed = await applyFit(ctx, copy.table.sectorSize, fit, async () => {
    ctx.log('rewriting the GPT for the smaller disk');
    await runDiskTool(ctx.runner, 'sfdisk', [...SFDISK_WRITE, ctx.device.path], { input: editGptScript(copy.script, fit.resize) });
    await verifyTable(ctx, copy.table, [fit.resize], usableEnd - 1);
  });
  return result(ctx, 'rewritten', false, changed, fit.notes);
}

function result(ctx: FitContext, backupGpt: FitResult['backupGpt'], staleBackupWiped: boolean, changed: Pick<FitResult, 'partition' | 'filesystem'>, notes: readonly string[]): FitResult {
  return { table: 'gpt', imageBytes: ctx.plan.image.diskBytes, diskBytes: ctx.device.sizeBytes, backupGpt, staleBackupWiped, ...changed, notes };
}

/** Fits a restored GPT disk to the target: backup header at the end, planned partition and file system to the end. */
export async function fitGpt(ctx: FitContext): Promise<FitResult> {
  const header = await primaryHeader(ctx);
  const diskSectors = Math.floor(ctx.device.sizeBytes / ctx.device.sectorSize);
  const usableEnd = lastUsableLba(header, ctx.device.sectorSize, diskSectors) + 1;
  return ctx.device.sizeBytes < ctx.plan.image.diskBytes ? fitSmallerGpt(ctx, header, usableEnd) : fitLargerGpt(ctx, header, usableEnd);
}
