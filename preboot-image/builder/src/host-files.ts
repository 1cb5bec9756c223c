import { access, constants, mkdir, realpath, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildError } from './build-error.js';
import { sha256File } from './image-plan.js';
import { runCommand } from './run-command.js';

/** A system tool the agent runs, copied from the build host with its libraries. */
export interface ToolSpec {
  readonly name: string;
  /** Why the agent needs it (shown in the manifest and docs). */
  readonly purpose: string;
  /** Left out, with a note, when the host lacks it; otherwise the build fails. */
  readonly optional?: boolean;
}

/** The tools of the image. Busybox provides the rest (sh, ip, udhcpc, mount, modprobe …). */
export const AGENT_TOOLS: readonly ToolSpec[] = [
  { name: 'lsblk', purpose: 'disk inventory (systeminformation needs util-linux lsblk with JSON output)' },
  { name: 'lscpu', purpose: 'CPU inventory (systeminformation)' },
  { name: 'blkid', purpose: 'file system types and UUIDs' },
  { name: 'sfdisk', purpose: 'partition tables' },
  { name: 'fallocate', purpose: 'zeroing what an image does not store (device-side WRITE ZEROES where the disk has it)' },
  { name: 'e2fsck', purpose: 'check ext file systems before and after resizing' },
  { name: 'resize2fs', purpose: 'grow ext file systems to the target disk' },
  { name: 'losetup', purpose: 'replay an ext journal through a loop device (e2fsck loses "?offset=" when it re-opens after a replay)' },
  { name: 'debugfs', purpose: "personalise the clone's root ext file system without mounting it" },
  { name: 'efibootmgr', purpose: "the clone's UEFI boot entries; the source's, read at capture" },
  { name: 'dumpe2fs', purpose: 'used blocks of ext file systems at capture when partclone cannot open them' },
  { name: 'partclone.extfs', purpose: 'used-block map of ext2/3/4 at capture (--domain)', optional: true },
  { name: 'partclone.fat', purpose: 'used-block map of FAT at capture (--domain)', optional: true },
  { name: 'partclone.xfs', purpose: 'used-block map of XFS at capture (--domain)', optional: true },
  { name: 'partclone.btrfs', purpose: 'used-block map of btrfs at capture (--domain)', optional: true },
  { name: 'partclone.ntfs', purpose: 'used-block map of NTFS at capture (--domain)', optional: true },
  { name: 'partclone.exfat', purpose: 'used-block map of exFAT at capture (--domain)', optional: true },
  { name: 'dmidecode', purpose: 'SMBIOS inventory (systeminformation; /sys/class/dmi is the fallback)', optional: true },
];

const SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Finds a tool on the host (like `command -v`), resolved to its real file; null when absent. */
export async function findTool(name: string): Promise<string | null> {
  for (const dir of SEARCH_PATH) {
    const path = join(dir, name);
    const ok = await access(path, constants.X_OK).then(() => true, () => false);
    if (ok) return realpath(path);
  }
  return null;
}

/**
 * `ldd` output → the absolute paths the dynamic loader uses (the loader itself included; the
 * kernel's vdso is not a file). Throws on a library ldd cannot find.
 */
export function parseLdd(text: string): string[] {
  const libs: string[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('linux-vdso') || t.includes('statically linked')) continue;
    if (t.includes('=> not found')) throw new Error(`missing library: ${t}`);
    const arrow = /=>\s+(\/\S+)/.exec(t);
    const path = arrow?.[1] ?? (t.startsWith('/') ? t.split(/\s+/)[0] : undefined);
    if (path && !libs.includes(path)) libs.push(path);
  }
  return libs;
}

/** The shared libraries a binary or addon loads, by the paths ldd prints; [] for static binaries. */
export async function librariesOf(binary: string): Promise<string[]> {
  let out: string;
  try {
    out = await runCommand('ldd', [binary]);
  } catch (err) {
    // ldd exits 1 with "not a dynamic executable" for static binaries (busybox-static).
    if (err instanceof BuildError && /not a dynamic executable/.test(err.message)) return [];
    throw err;
  }
  return parseLdd(out);
}

/** The names busybox installs and where (`busybox --list-full`: bin/sh, sbin/modprobe, usr/bin/awk …). */
export async function busyboxApplets(busybox: string): Promise<string[]> {
  const out = await runCommand(busybox, ['--list-full']);
  return out.split('\n').map((l) => l.trim()).filter((l) => l && !l.includes('..') && l !== 'bin/busybox').sort();
}

/**
 * The host's node binary, stripped (-12 MB, research/lab.md), cached by the source's hash so
 * that only a new node binary costs a strip.
 */
export async function strippedNode(source: string, cacheDir: string): Promise<{ path: string; sourceSha256: string }> {
  const sourceSha256 = await sha256File(source);
  const dir = join(cacheDir, 'node');
  const path = join(dir, `node-${sourceSha256.slice(0, 32)}-stripped`);
  const present = await access(path).then(() => true, () => false);
  if (!present) {
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.partial-${process.pid}`;
    await runCommand('strip', ['-o', tmp, source]);
    await rename(tmp, path);
  }
  return { path, sourceSha256 };
}
