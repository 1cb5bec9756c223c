import type { DeployPlan, DiskIdentity, DiskProfile } from '@rackcast/wire';
import type { ByteRange } from '../receive/index.js';

/**
 * What a deploy does to a disk besides writing the image's blocks: find the planned disk among
 * the machine's, check it is safe to write, wipe and later write the boot area, fit the layout
 * and personalise the clone. The deploy runner takes it as an argument, so its tests use fakes
 * and the agent uses the disk library (preboot-image/agent/src/disk/ and personalise/).
 *
 * Every function refuses by throwing an error with a stable `code` (RC_ERR_*) and a message for
 * the technician; the runner reports both to the server.
 */
export interface DiskLibrary {
  /** The machine's disk the plan names (by serial, WWN and size, never by kernel name); throws when none matches. */
  findPlannedDisk(target: DiskIdentity, disks: readonly DiskProfile[]): DiskProfile;
  /**
   * Refuses a disk that must not be written (mounted, in use, read-only, wrong size or identity);
   * writes nothing. `disks` are the profile's (serials lsblk filled in included).
   */
  checkDiskSafety(devicePath: string, plan: DeployPlan, disks: readonly DiskProfile[]): Promise<void>;
  /** Disk ranges written last: partition tables and boot code, so an interrupted restore does not look bootable. */
  bootArea(plan: DeployPlan, targetSizeBytes: number): { readonly deferred: readonly ByteRange[] };
  /** Zeroes the boot area of the target (the first thing written). */
  wipeBootArea(devicePath: string, targetSizeBytes: number): Promise<void>;
  /**
   * Zeroes what the image does not store below `limit` (its all-zero blocks): a disk that held
   * another system must read zeros there, as the source did.
   */
  zeroUnstored(devicePath: string, blocks: readonly { readonly offset: number; readonly length: number }[], limit: number): Promise<void>;
  /** Fits the restored layout to the disk: backup GPT to the end, the planned partition and filesystem grown. */
  fitTargetDisk(devicePath: string, plan: DeployPlan): Promise<void>;
  /** Hostname, NIC configuration, machine-id, host keys and boot entry of the clone. */
  personaliseClone(devicePath: string, plan: DeployPlan): Promise<void>;
}
