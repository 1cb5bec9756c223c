import { DiskError } from './disk-error.js';
import { runDiskTool } from './disk-tool.js';
import { e2fsTarget, readExt4Superblock } from './ext4-superblock.js';
import type { ToolRunner } from './run-tool.js';

/** e2fsck on a many-TB file system takes minutes; bounded all the same. */
const E2FSCK_TIMEOUT_MS = 60 * 60_000;
/** e2fsck -y: 0 clean, 1 errors fixed, 2 fixed and a reboot advised (nothing is mounted here). */
const E2FSCK_FIXED = [0, 1, 2] as const;

/**
 * e2fsck -f -y of the ext file system `offset` bytes into `device`: replays its journal and
 * fixes what it finds.
 *
 * A journal that needs recovery is replayed through a loop device over the file system's own
 * bytes, not through "device?offset=N": e2fsprogs 1.47 re-opens the file system by name after
 * the replay and drops the offset, so it reads the disk's first sectors, fails with "Bad magic
 * number in super-block while trying to re-open", and leaves the replay half done. Seen on a
 * capture of a machine that had been powered off without unmounting; debugfs journal_run has
 * the same flaw.
 */
export async function checkExt4At(runner: ToolRunner, device: string, offset: number, what: string): Promise<void> {
  const sb = await readExt4Superblock(device, offset);
  if (sb === null) throw new DiskError('RC_ERR_DISK_LAYOUT', `${what} holds no ext2/3/4 file system (no superblock magic at byte ${offset + 1024})`);
  if (!sb.needsRecovery) {
    await runDiskTool(runner, 'e2fsck', ['-f', '-y', e2fsTarget(device, offset)], { okCodes: E2FSCK_FIXED, timeoutMs: E2FSCK_TIMEOUT_MS });
    return;
  }
  const bytes = sb.blocks * sb.blockSize;
  const attach = await runDiskTool(runner, 'losetup', ['--find', '--show', '--offset', String(offset), '--sizelimit', String(bytes), device]);
  const loop = attach.stdout.trim();
  if (!/^\/dev\/loop\d+$/.test(loop)) throw new DiskError('RC_ERR_DISK_TOOL', `losetup --find --show printed "${loop}", not a loop device`);
  try {
    await runDiskTool(runner, 'e2fsck', ['-f', '-y', loop], { okCodes: E2FSCK_FIXED, timeoutMs: E2FSCK_TIMEOUT_MS });
  } finally {
    await runDiskTool(runner, 'losetup', ['--detach', loop]);
  }
}
