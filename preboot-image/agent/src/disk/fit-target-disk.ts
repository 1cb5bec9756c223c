import { tmpdir } from 'node:os';
import type { DeployPlan } from '@rackcast/wire';
import { DiskError } from './disk-error.js';
import type { FitContext, FitResult, StepLog } from './fit-context.js';
import { fitGpt } from './gpt-fit.js';
import { fitMbr } from './mbr-fit.js';
import { runTool, type ToolRunner } from './run-tool.js';
import { openTargetDevice } from './target-device.js';

export interface FitOptions {
  /** Runs sfdisk, e2fsck, resize2fs, losetup; the real tools by default. */
  readonly runner?: ToolRunner;
  /** sysfs root for device sizes, e.g. "/sys". */
  readonly sysRoot?: string;
  /** Folder for scratch files, e.g. "/tmp" (the default: the OS's). */
  readonly tmpDir?: string;
}

const MIB = 2 ** 20;

function refuseTooSmall(plan: DeployPlan, diskBytes: number): void {
  const short = plan.image.usedEndBytes - diskBytes;
  if (short > 0) {
    throw new DiskError('RC_ERR_DISK_TOO_SMALL', `this disk has ${diskBytes} bytes but the used data of image ${plan.image.name} v${plan.image.version} ends at byte ${plan.image.usedEndBytes}: ${short} bytes (${Math.ceil(short / MIB)} MiB) short. Nothing was changed; use a bigger disk.`);
  }
}

/**
 * Fits the restored image to the target disk, after every block is written: on GPT the backup
 * header goes to the end of a bigger disk (and the image's old one is zeroed), or the table is
 * rewritten for a smaller one; the partition the plan names grows (or shrinks) to the end of
 * the disk with its ext4 file system (e2fsck -fy, then resize2fs: shrunk before the partition
 * is cut, grown after it has grown). A target too small for the used data, or a file system
 * that cannot shrink enough, is refused with RC_ERR_DISK_TOO_SMALL before anything is changed.
 * File systems are reached by byte offset ("disk?offset=N"), never through partition nodes.
 */
export async function fitTargetDisk(devicePath: string, plan: DeployPlan, log: StepLog = () => undefined, options: FitOptions = {}): Promise<FitResult> {
  const runner = options.runner ?? runTool;
  const device = await openTargetDevice(devicePath, runner, options.sysRoot);
  try {
    refuseTooSmall(plan, device.sizeBytes);
    const ctx: FitContext = { runner, device, plan, log, tmpDir: options.tmpDir ?? tmpdir() };
    if (plan.image.table === 'gpt') return await fitGpt(ctx);
    if (plan.image.table === 'mbr') return await fitMbr(ctx);
    return { table: 'none', imageBytes: plan.image.diskBytes, diskBytes: device.sizeBytes, backupGpt: 'none', staleBackupWiped: false, partition: null, filesystem: null, notes: ['the image has no partition table: nothing to fit'] };
  } finally {
    await device.release();
  }
}
