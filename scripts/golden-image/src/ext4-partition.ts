import { chmod, copyFile, mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, type ImagePlan } from '../../../preboot-image/builder/dist/index.js';
import { GOLDEN_IDS, ROOT_LABEL } from './layout.js';

/** Writes the plan's entries into `dir` with their modes (times and owners are fixed later, in the file system). */
async function stage(plan: ImagePlan, dir: string): Promise<void> {
  for (const e of plan.entries()) {
    const to = join(dir, e.path);
    if (e.kind === 'dir') await mkdir(to, { recursive: true });
    else if (e.kind === 'file') await copyFile(e.source, to);
    else if (e.kind === 'data') await writeFile(to, e.data);
    else await symlink(e.target, to);
    if (e.kind !== 'symlink') await chmod(to, e.mode);
  }
}

/**
 * debugfs requests that set owner root and every time stamp to `epoch` on each inode of the
 * plan and on the root folder. mkfs.ext4 -d copies owners and times from the staged files,
 * whose change times are the time of the build (and atimes move when it reads them), so the
 * file system would differ from build to build without this.
 */
export function normaliseInodes(plan: ImagePlan, epoch: number): string {
  const paths = ['/', ...plan.entries().map((e) => `/${e.path}`)];
  const lines: string[] = [];
  for (const p of paths) {
    if (/["\n]/.test(p)) throw new Error(`image path ${p} cannot be passed to debugfs`);
    for (const field of ['uid', 'gid']) lines.push(`set_inode_field "${p}" ${field} 0`);
    for (const field of ['atime', 'mtime', 'ctime', 'crtime']) lines.push(`set_inode_field "${p}" ${field} @${epoch}`);
  }
  return `${lines.join('\n')}\n`;
}

/** debugfs exits 0 when a request fails; its errors show on stderr after the version banner. */
async function debugfsWrite(image: string, requests: string, scratch: string, env: Readonly<Record<string, string>>): Promise<void> {
  const script = join(scratch, 'debugfs-requests');
  await writeFile(script, requests);
  const errors = await runCommand('sh', ['-c', 'debugfs -w -f "$1" "$2" 2>&1 >/dev/null', 'debugfs', script, image], { env });
  const bad = errors.split('\n').filter((l) => l.trim() && !/^debugfs \d/.test(l));
  if (bad.length > 0) throw new Error(`debugfs on ${image} failed:\n${bad.slice(0, 8).join('\n')}`);
}

/**
 * Builds the ext4 root file system of `bytes` bytes as the file `image` from the plan, with
 * fixed UUID, hash seed and times (reproducible), 4 KiB blocks and 256-byte inodes (mke2fs's
 * "small" profile would pick 1 KiB blocks and 128-byte inodes for a disk this size; a clone
 * grows into much bigger disks).
 */
export async function buildExt4(plan: ImagePlan, image: string, bytes: number, epoch: number, scratch: string): Promise<void> {
  const tree = join(scratch, 'rootfs');
  await mkdir(tree, { recursive: true });
  await stage(plan, tree);
  await writeFile(image, '');
  await truncate(image, bytes);
  const env = { E2FSPROGS_FAKE_TIME: String(epoch), SOURCE_DATE_EPOCH: String(epoch) };
  await runCommand('mkfs.ext4', ['-F', '-q', '-b', '4096', '-I', '256', '-i', '16384', '-L', ROOT_LABEL, '-U', GOLDEN_IDS.rootFsUuid,
    '-E', `root_owner=0:0,hash_seed=${GOLDEN_IDS.rootHashSeed},nodiscard`, '-d', tree, image], { env });
  // The fake time also fixes the superblock's last-write time that debugfs sets on closing.
  await debugfsWrite(image, normaliseInodes(plan, epoch), scratch, env);
  await runCommand('e2fsck', ['-fn', image]);
}

/** Bytes the file system uses (dumpe2fs: (block count - free blocks) × block size). */
export async function ext4UsedBytes(image: string): Promise<number> {
  const text = await runCommand('dumpe2fs', ['-h', image]);
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return (field('Block count') - field('Free blocks')) * field('Block size');
}
