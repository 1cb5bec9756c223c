import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readBlockFamily, readBlockUses } from '../disk/index.js';
import { CaptureError } from './capture-error.js';

/** The disk a capture reads: a block device, or a disk image file. Never written to. */
export interface CaptureSource {
  /** As the caller named it, e.g. "/dev/sda" or "disk.img". */
  readonly path: string;
  readonly kind: 'device' | 'file';
  readonly sizeBytes: number;
  /**
   * The node of partition `n` (/dev/sda2), which partclone needs: it opens a file system by
   * path and has no offset option. null for a disk image file, whose partitions have none.
   */
  partitionPath(n: number): string | null;
}

export interface SourceOptions {
  /** sysfs, e.g. "/sys": block device size and partitions. */
  readonly sysRoot?: string;
  /** procfs, e.g. "/proc": mounts and swaps on the source are refused. */
  readonly procRoot?: string;
  /**
   * Partition nodes for a file source, e.g. partitions extracted as files in tests; the
   * default knows none (those partitions are mapped without partclone).
   */
  readonly partitionPath?: (n: number) => string | null;
}

async function sysText(path: string): Promise<string | null> {
  return readFile(path, 'utf8').then((t) => t.trim(), () => null);
}

/** Partition number → /dev node, from /sys/class/block/<disk>/<part>/partition. */
async function devicePartitions(sysRoot: string, name: string): Promise<Map<number, string>> {
  const nodes = new Map<number, string>();
  const dir = join(sysRoot, 'class', 'block', name);
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const n = await sysText(join(dir, entry, 'partition'));
    if (n !== null && /^\d+$/.test(n)) nodes.set(Number(n), `/dev/${entry}`);
  }
  return nodes;
}

async function openDevice(path: string, sysRoot: string, procRoot: string): Promise<CaptureSource> {
  const name = basename(await realpath(path));
  // sysfs `size` counts 512-byte sectors whatever the logical block size (block/genhd.c).
  const sectors = await sysText(join(sysRoot, 'class', 'block', name, 'size'));
  if (sectors === null || !/^\d+$/.test(sectors)) throw new CaptureError('RC_ERR_CAPTURE_SOURCE', `cannot read the size of ${path} from ${sysRoot}/class/block/${name}/size`);
  if ((await sysText(join(sysRoot, 'class', 'block', name, 'partition'))) !== null) {
    throw new CaptureError('RC_ERR_CAPTURE_SOURCE', `${path} is a partition; capture the whole disk it belongs to`);
  }
  const uses = await readBlockUses(procRoot, sysRoot, await readBlockFamily(sysRoot, name));
  if (uses.length > 0) {
    throw new CaptureError('RC_ERR_CAPTURE_SOURCE', `${path} is in use (${uses.map((u) => `${u.device} ${u.detail}`).join('; ')}): a capture of a live file system is not consistent. Unmount it or capture from the preboot image`);
  }
  const nodes = await devicePartitions(sysRoot, name);
  return { path, kind: 'device', sizeBytes: Number(sectors) * 512, partitionPath: (n) => nodes.get(n) ?? null };
}

/** Opens the source for reading: a whole-disk block device that nothing uses, or a disk image file. */
export async function openCaptureSource(path: string, options: SourceOptions = {}): Promise<CaptureSource> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new CaptureError('RC_ERR_CAPTURE_SOURCE', `cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file or device' : err.message}`);
  });
  if (info.isBlockDevice()) return openDevice(path, options.sysRoot ?? '/sys', options.procRoot ?? '/proc');
  if (!info.isFile()) throw new CaptureError('RC_ERR_CAPTURE_SOURCE', `${path} is neither a block device nor a disk image file`);
  if (info.size === 0 || info.size % 512 !== 0) throw new CaptureError('RC_ERR_CAPTURE_SOURCE', `${path} is ${info.size} bytes, not a whole number of 512-byte sectors: not a disk image`);
  return { path, kind: 'file', sizeBytes: info.size, partitionPath: options.partitionPath ?? (() => null) };
}
