import type { DeployPlan } from '@rackcast/wire';
import { zeroRanges, type ByteRange } from './zero-ranges.js';

/** The ranges of the target the receiver must write after every other block. */
export interface BootArea {
  readonly deferred: ByteRange[];
}

/**
 * The head of the disk held back: MBR or protective MBR, the primary GPT header and entries, and
 * what boot loaders keep before the first partition (GRUB's core.img in the MBR gap). Partitions
 * start at 1 MiB on every layout made since 2008 (parted, fdisk, sfdisk, Windows), so the first
 * MiB holds no partition data on them; on older layouts it holds some, which is still written,
 * just last.
 */
export const HEAD_BYTES = 2 ** 20;

/**
 * The tail of a GPT image held back: the backup entries (128 × 128 bytes) and header. 33
 * sectors of 4096 bytes cover them for both 512- and 4096-byte sectors; on 512-byte images the
 * range also covers a little data before them, which is written last too (harmless).
 */
export const GPT_BACKUP_BYTES = 33 * 4096;

/** The tail wiped before a restore: an old GPT backup of whatever the disk held before. */
export const TAIL_WIPE_BYTES = 2 ** 20;

function merged(ranges: readonly ByteRange[]): ByteRange[] {
  const out: ByteRange[] = [];
  for (const r of [...ranges].filter((x) => x.length > 0).sort((a, b) => a.offset - b.offset)) {
    const last = out.at(-1);
    if (last && r.offset <= last.offset + last.length) {
      out[out.length - 1] = { offset: last.offset, length: Math.max(last.offset + last.length, r.offset + r.length) - last.offset };
    } else out.push(r);
  }
  return out;
}

/**
 * The byte ranges of the target the receiver must write last, so that an interrupted restore
 * leaves a disk no firmware boots: the first MiB (partition table and boot code), and for a GPT
 * image its backup table at the image's end, which a firmware would otherwise use on a target
 * of the image's size when the primary is missing. Ranges are clipped to what lands on the
 * target (a smaller target never receives the image's backup GPT), sorted and disjoint.
 */
export function bootArea(plan: DeployPlan, targetSizeBytes: number): BootArea {
  const end = Math.min(targetSizeBytes, plan.image.diskBytes);
  const ranges: ByteRange[] = [{ offset: 0, length: Math.min(HEAD_BYTES, end) }];
  if (plan.image.table === 'gpt' && plan.image.diskBytes <= targetSizeBytes) {
    const offset = Math.max(0, plan.image.diskBytes - GPT_BACKUP_BYTES);
    ranges.push({ offset, length: plan.image.diskBytes - offset });
  }
  return { deferred: merged(ranges) };
}

/** The ranges wipeBootArea zeroes on a disk of this size: its first and last MiB. */
export function bootWipeRanges(targetSizeBytes: number): ByteRange[] {
  const head = Math.min(HEAD_BYTES, targetSizeBytes);
  const tailStart = Math.max(0, targetSizeBytes - TAIL_WIPE_BYTES);
  return merged([{ offset: 0, length: head }, { offset: tailStart, length: targetSizeBytes - tailStart }]);
}

/**
 * Zeroes the first MiB (partition table, boot code) and the last MiB (an old backup GPT) of the
 * target before anything else is written, and syncs: from then until the deferred boot area is
 * written last, neither the old system nor a half-written new one can boot, and no tool will
 * find a stale backup GPT to "repair" the new table from.
 */
export async function wipeBootArea(devicePath: string, targetSizeBytes: number): Promise<void> {
  await zeroRanges(devicePath, bootWipeRanges(targetSizeBytes));
}
