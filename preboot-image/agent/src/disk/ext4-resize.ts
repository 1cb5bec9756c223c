import { DiskError } from './disk-error.js';
import { runDiskTool } from './disk-tool.js';
import { checkExt4At } from './ext4-check.js';
import { e2fsTarget, readExt4Superblock, type Ext4Superblock } from './ext4-superblock.js';
import type { ToolRunner } from './run-tool.js';

/** An ext file system inside a partition of the target device. */
export interface Ext4Place {
  readonly device: string;
  /** Byte offset of the partition, e.g. 68157440. */
  readonly offset: number;
  /** Bytes of the partition: the file system must never be bigger. */
  readonly partitionBytes: number;
}

/** Sizes of a file system before and after a resize. */
export interface Ext4Resize {
  readonly oldBytes: number;
  readonly newBytes: number;
}

/** e2fsck and resize2fs on a many-TB file system take minutes; bounded all the same. */
const E2FS_TIMEOUT_MS = 60 * 60_000;

export async function requireExt4(place: Ext4Place, what: string): Promise<Ext4Superblock> {
  const sb = await readExt4Superblock(place.device, place.offset);
  if (sb === null) throw new DiskError('RC_ERR_DISK_LAYOUT', `${what} holds no ext2/3/4 file system (no superblock magic at byte ${place.offset + 1024}); the plan says ext4`);
  return sb;
}

/** e2fsck -fy: replays the journal and fixes what it finds (exit 1 and 2 mean "fixed"). */
export async function checkExt4(runner: ToolRunner, place: Ext4Place, what = `the file system at byte ${place.offset}`): Promise<void> {
  await checkExt4At(runner, place.device, place.offset, what);
}

/** resize2fs -P: the least the file system can shrink to, in bytes (an estimate that errs high). */
export async function ext4MinimumBytes(runner: ToolRunner, place: Ext4Place, blockSize: number): Promise<number> {
  const run = await runDiskTool(runner, 'resize2fs', ['-P', e2fsTarget(place.device, place.offset)], { timeoutMs: E2FS_TIMEOUT_MS });
  const blocks = /minimum size of the filesystem:\s*(\d+)/i.exec(run.stdout)?.[1];
  if (blocks === undefined) throw new DiskError('RC_ERR_DISK_TOOL', `resize2fs -P printed no minimum size: ${run.stdout.trim() || run.stderr.trim()}`);
  return Number(blocks) * blockSize;
}

/**
 * Checks the file system (e2fsck -fy) and resizes it to fill the partition (resize2fs with an
 * explicit block count: the tool sees the whole disk, not the partition, so it must never pick
 * the size itself). Then reads the superblock back and proves it fits the partition.
 */
export async function resizeExt4(runner: ToolRunner, place: Ext4Place, what: string): Promise<Ext4Resize> {
  const before = await requireExt4(place, what);
  const blocks = Math.floor(place.partitionBytes / before.blockSize);
  const oldBytes = before.blocks * before.blockSize;
  await checkExt4(runner, place, what);
  if (blocks !== before.blocks) {
    await runDiskTool(runner, 'resize2fs', [e2fsTarget(place.device, place.offset), String(blocks)], { timeoutMs: E2FS_TIMEOUT_MS });
  }
  const after = await requireExt4(place, what);
  const newBytes = after.blocks * after.blockSize;
  if (after.blocks !== blocks || newBytes > place.partitionBytes) {
    throw new DiskError('RC_ERR_DISK_TOOL', `after resize2fs, ${what} has ${newBytes} bytes; expected ${blocks * before.blockSize} within its ${place.partitionBytes}-byte partition`);
  }
  return { oldBytes, newBytes };
}
