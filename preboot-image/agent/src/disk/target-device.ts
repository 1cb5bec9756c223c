import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DiskError } from './disk-error.js';
import { runDiskTool } from './disk-tool.js';
import type { ToolRunner } from './run-tool.js';

/** The block device the disk tools work on, and how to let it go. */
export interface TargetDevice {
  /** The target as the caller named it, for messages, e.g. "/dev/sda" or "disk.img". */
  readonly name: string;
  /** A block device: the target itself, or a loop device over a disk image file. */
  readonly path: string;
  readonly sizeBytes: number;
  /** Logical sector size, e.g. 512 (4096 on 4Kn disks). */
  readonly sectorSize: number;
  /** Detaches the loop device (files only). */
  release(): Promise<void>;
}

async function sysInteger(path: string): Promise<number | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  return text !== null && /^\d+\s*$/.test(text) ? Number(text) : null;
}

async function blockDevice(path: string, sysRoot: string, as = path): Promise<TargetDevice> {
  const name = basename(await realpath(path));
  // sysfs `size` counts 512-byte sectors whatever the logical block size (block/genhd.c).
  const sectors = await sysInteger(join(sysRoot, 'class', 'block', name, 'size'));
  if (sectors === null) throw new DiskError('RC_ERR_DISK_UNUSABLE', `cannot read the size of ${path} from ${sysRoot}/class/block/${name}/size`);
  const sectorSize = (await sysInteger(join(sysRoot, 'class', 'block', name, 'queue', 'logical_block_size'))) ?? 512;
  return { name: as, path, sizeBytes: sectors * 512, sectorSize, release: async () => undefined };
}

/**
 * Opens the target for the disk tools. A block device is used as it is. A regular file (tests,
 * a technician's image file) is attached to a loop device for the duration.
 * NOTE: resize2fs truncates a regular file it works on to the new file system size, ignoring
 * "?offset=" (seen with e2fsprogs 1.47: a 480 MiB disk file cut to 414 MiB), which would cut
 * the disk image; on a block device it cannot. The loop device also makes tests run the exact
 * code path of a real disk.
 */
export async function openTargetDevice(devicePath: string, runner: ToolRunner, sysRoot = '/sys'): Promise<TargetDevice> {
  const info = await stat(devicePath).catch(() => null);
  if (info?.isBlockDevice()) return blockDevice(devicePath, sysRoot);
  if (!info?.isFile()) throw new DiskError('RC_ERR_DISK_UNUSABLE', `${devicePath} is neither a block device nor a disk image file`);
  const run = await runDiskTool(runner, 'losetup', ['--find', '--show', devicePath]);
  const loop = run.stdout.trim();
  if (!/^\/dev\/loop\d+$/.test(loop)) throw new DiskError('RC_ERR_DISK_TOOL', `losetup --find --show ${devicePath} printed "${loop}", not a loop device`);
  const device = await blockDevice(loop, sysRoot, devicePath).catch(async (err: unknown) => {
    await runner('losetup', ['--detach', loop]);
    throw err;
  });
  return { ...device, release: async () => { await runDiskTool(runner, 'losetup', ['--detach', loop]); } };
}
