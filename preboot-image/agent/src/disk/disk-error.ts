import { AgentError } from '../agent-error.js';

/** Error codes of the agent's disk work (RC_ERR_<AREA>_<WHAT>, as the server's). */
export type DiskErrorCode =
  /** No disk of the machine carries the plan's identity. */
  | 'RC_ERR_DISK_NOT_FOUND'
  /** A disk was found but is not the planned one (size differs, ambiguous identity, another disk's path). */
  | 'RC_ERR_DISK_MISMATCH'
  /** The disk or one of its partitions is mounted. */
  | 'RC_ERR_DISK_MOUNTED'
  /** The disk is removable and the plan does not name it. */
  | 'RC_ERR_DISK_REMOVABLE'
  /** The disk cannot hold the image's used data. */
  | 'RC_ERR_DISK_TOO_SMALL'
  /** Something holds the disk: swap, md RAID, device mapper (LVM, crypt), a loop device. */
  | 'RC_ERR_DISK_IN_USE'
  /** Not a writable whole disk: read-only, a partition, not a block device or file. */
  | 'RC_ERR_DISK_UNUSABLE'
  /** The restored layout is not what the plan says (table type, missing partition, not an ext file system). */
  | 'RC_ERR_DISK_LAYOUT'
  /** A disk tool (sfdisk, e2fsck, resize2fs, losetup) failed or is missing. */
  | 'RC_ERR_DISK_TOOL';

/**
 * A refusal or failure of the disk work, with a stable code and a message that says what was
 * expected, what was found and what to do. None is transient: retrying the same plan on the
 * same disk gives the same answer.
 */
export class DiskError extends AgentError<DiskErrorCode> {
  override readonly name = 'DiskError';
}
