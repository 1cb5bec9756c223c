import { realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { DeployPlan, DiskProfile } from '@rackcast/wire';
import { readDisks, Sysfs } from '../profile/index.js';
import { readBlockFamily, readBlockUses, loopUses, type BlockUse } from './block-usage.js';
import { DiskError, type DiskErrorCode } from './disk-error.js';
import { describeDisk, describeIdentity, isPlannedDisk } from './find-planned-disk.js';

export interface DiskSafetyOptions {
  /** procfs root, e.g. "/proc" (the default) or a fake tree in tests. */
  readonly procRoot?: string;
  /** sysfs root, e.g. "/sys" (the default) or a fake tree in tests. */
  readonly sysRoot?: string;
  /**
   * The machine's disks as detection reported them (serials that lsblk filled in included);
   * read again from sysfs when absent.
   */
  readonly disks?: readonly DiskProfile[];
}

/** sysfs `size` is in 512-byte sectors whatever the disk's block size (block/genhd.c). */
const SECTOR = 512;
const MIB = 2 ** 20;

function refuse(code: DiskErrorCode, message: string): never {
  throw new DiskError(code, `${message} Nothing was written.`);
}

function checkRoom(what: string, sizeBytes: number, plan: DeployPlan): void {
  const needed = plan.image.usedEndBytes;
  if (sizeBytes < needed) {
    refuse('RC_ERR_DISK_TOO_SMALL', `${what} has ${sizeBytes} bytes but the used data of image ${plan.image.name} v${plan.image.version} ends at byte ${needed}: ${needed - sizeBytes} bytes (${Math.ceil((needed - sizeBytes) / MIB)} MiB) short. Use a bigger disk or an image with less data.`);
  }
}

function refuseUses(what: string, uses: readonly BlockUse[]): void {
  const first = uses[0];
  if (first === undefined) return;
  const all = uses.map((u) => `${u.device} ${u.detail}`).join(', ');
  if (first.kind === 'mount') refuse('RC_ERR_DISK_MOUNTED', `${what} is in use: ${all}. Unmount it (or boot the machine into the preboot image) and deploy again.`);
  refuse('RC_ERR_DISK_IN_USE', `${what} is in use: ${all}. Stop the swap, RAID, LVM or loop device that holds it, then deploy again.`);
}

/** The planned disk must be this one; a removable disk that is not planned is refused as such. */
function checkIdentity(name: string, disk: DiskProfile | undefined, plan: DeployPlan): void {
  // Virtual block devices (loop: test and lab targets) have no identity and are not in profiles.
  if (disk === undefined) return;
  if (isPlannedDisk(plan.target, disk)) return;
  const expected = `the plan's target is ${describeIdentity(plan.target)}`;
  if (disk.removable) refuse('RC_ERR_DISK_REMOVABLE', `/dev/${name} is a removable disk (${describeDisk(disk)}) and ${expected}. Remove the stick or card, or plan the deploy onto it.`);
  refuse('RC_ERR_DISK_MISMATCH', `/dev/${name} (${describeDisk(disk)}) is not the planned disk: ${expected}.`);
}

async function checkBlockDevice(name: string, plan: DeployPlan, procRoot: string, sysRoot: string, disks?: readonly DiskProfile[]): Promise<void> {
  const sys = new Sysfs(sysRoot);
  if (!(await sys.exists(`block/${name}`))) {
    const isPartition = await sys.exists(`class/block/${name}/partition`);
    refuse(isPartition ? 'RC_ERR_DISK_UNUSABLE' : 'RC_ERR_DISK_NOT_FOUND',
      isPartition ? `/dev/${name} is a partition; the plan writes a whole disk.` : `/dev/${name} is not a disk of this machine (no /sys/block/${name}).`);
  }
  if ((await sys.integer(`block/${name}/ro`)) === 1) refuse('RC_ERR_DISK_UNUSABLE', `/dev/${name} is read-only (write-protect switch, or a read-only LUN).`);
  const known = disks ?? await readDisks(sys);
  checkIdentity(name, known.find((d) => d.name === name), plan);
  checkRoom(`/dev/${name}`, ((await sys.integer(`block/${name}/size`)) ?? 0) * SECTOR, plan);
  refuseUses(`/dev/${name}`, await readBlockUses(procRoot, sysRoot, await readBlockFamily(sysRoot, name)));
}

/**
 * Refuses to write a disk that is not safe to write: not the planned disk (RC_ERR_DISK_MISMATCH),
 * removable and not planned (RC_ERR_DISK_REMOVABLE), read-only or a partition
 * (RC_ERR_DISK_UNUSABLE), too small for the image's used data (RC_ERR_DISK_TOO_SMALL), mounted
 * (RC_ERR_DISK_MOUNTED), or held by swap, md, device mapper or a loop device
 * (RC_ERR_DISK_IN_USE) — the disk or any of its partitions. Reads /proc/self/mountinfo,
 * /proc/mounts, /proc/swaps and /sys/block. A regular file (tests, a technician's image file)
 * is checked for room and loop use only.
 */
export async function checkDiskSafety(devicePath: string, plan: DeployPlan, options: DiskSafetyOptions = {}): Promise<void> {
  const procRoot = options.procRoot ?? '/proc';
  const sysRoot = options.sysRoot ?? '/sys';
  const info = await stat(devicePath).catch(() => null);
  if (info?.isFile()) {
    const path = await realpath(devicePath);
    checkRoom(path, info.size, plan);
    refuseUses(path, await loopUses(sysRoot, path, basename(path)));
    return;
  }
  if (info !== null && !info.isBlockDevice()) refuse('RC_ERR_DISK_UNUSABLE', `${devicePath} is neither a block device nor a disk image file.`);
  // A node that does not exist here is looked up in sysfs by name (and refused there if absent).
  const name = basename(info === null ? devicePath : await realpath(devicePath));
  await checkBlockDevice(name, plan, procRoot, sysRoot, options.disks);
}
