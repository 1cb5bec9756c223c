import type { DiskIdentity, DiskProfile } from '@rackcast/wire';
import { DiskError } from './disk-error.js';

const GIB = 2 ** 30;
const norm = (s: string): string => s.trim().toLowerCase();

/** How a plan names its disk: by WWN when it has one, else by serial, else (neither) by model and size only. */
export type IdentityKey = 'wwn' | 'serial' | 'model+size';

export function identityKey(target: DiskIdentity): IdentityKey {
  if (norm(target.wwn) !== '') return 'wwn';
  if (norm(target.serial) !== '') return 'serial';
  return 'model+size';
}

/** True when `disk` carries the identity the plan names (the size is not compared here). */
function sameIdentity(target: DiskIdentity, disk: DiskProfile): boolean {
  switch (identityKey(target)) {
    case 'wwn': return norm(disk.wwn) === norm(target.wwn);
    case 'serial': return norm(disk.serial) === norm(target.serial);
    case 'model+size': return norm(disk.model) === norm(target.model) && disk.sizeBytes === target.sizeBytes;
  }
}

/** True when `disk` is the planned disk: same identity and exactly the planned size. */
export function isPlannedDisk(target: DiskIdentity, disk: DiskProfile): boolean {
  return sameIdentity(target, disk) && disk.sizeBytes === target.sizeBytes;
}

function size(bytes: number): string {
  return `${bytes} bytes (${(bytes / GIB).toFixed(1)} GiB)`;
}

/** "wwn naa.5002…, serial S45…, model …, 960 GiB, was sda" — what the plan asks for. */
export function describeIdentity(target: DiskIdentity): string {
  const parts = [target.wwn && `wwn ${target.wwn}`, target.serial && `serial ${target.serial}`, target.model && `model ${target.model}`, size(target.sizeBytes)];
  return parts.filter(Boolean).join(', ') + (target.nameHint ? `, was ${target.nameHint} when planned` : '');
}

/** "sda: wwn …, serial …, 960 GiB" — what a disk of this machine is. */
export function describeDisk(disk: DiskProfile): string {
  const parts = [disk.wwn && `wwn ${disk.wwn}`, disk.serial && `serial ${disk.serial}`, disk.model && `model ${disk.model}`, size(disk.sizeBytes)];
  return `${disk.name}: ${parts.filter(Boolean).join(', ')}`;
}

function foundList(disks: readonly DiskProfile[]): string {
  return disks.length === 0 ? 'no disks at all' : disks.map(describeDisk).join('; ');
}

/**
 * The disk of this machine that the plan names, by WWN if the plan has one, else by serial
 * (a disk without either — a QEMU virtio disk, some USB bridges — is matched by model and size,
 * and only when exactly one disk fits). The size must be exactly the planned size: the same
 * serial on another size is another disk (or a reconfigured RAID volume). Never matches by
 * kernel name. Throws RC_ERR_DISK_NOT_FOUND when nothing carries the identity, and
 * RC_ERR_DISK_MISMATCH when the identity is found with another size or on more than one disk
 * (multipath paths, cloned serials); both messages say what was expected and what was found.
 */
export function findPlannedDisk(target: DiskIdentity, disks: readonly DiskProfile[]): DiskProfile {
  const key = identityKey(target);
  const same = disks.filter((d) => sameIdentity(target, d));
  const expected = `the plan's target disk (${describeIdentity(target)}, matched by ${key})`;
  if (same.length === 0) {
    throw new DiskError('RC_ERR_DISK_NOT_FOUND', `${expected} is not in this machine; found ${foundList(disks)}. Check that the right machine booted, or re-plan the deploy from this machine's profile.`);
  }
  const exact = same.filter((d) => d.sizeBytes === target.sizeBytes);
  if (exact.length === 0) {
    throw new DiskError('RC_ERR_DISK_MISMATCH', `${expected} was found with another size: ${foundList(same)}. Nothing was written; re-plan the deploy from this machine's profile.`);
  }
  if (exact.length > 1) {
    throw new DiskError('RC_ERR_DISK_MISMATCH', `${expected} matches ${exact.length} disks: ${foundList(exact)} (multipath, or disks without a unique identity). Nothing was written; name the disk by WWN or serial in the plan.`);
  }
  return exact[0] as DiskProfile;
}
