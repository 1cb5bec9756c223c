import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { commandLine, e2fsTarget, toolOutputTail, type ByteRange, type ToolRunner } from '../disk/index.js';
import { parseDomainMap } from './domain-map.js';
import { parseDumpe2fs } from './ext-bitmap.js';

/** What blkid says is in a byte range of the disk. */
export interface FilesystemSignature {
  /** blkid TYPE, e.g. "ext4"; "" when it found nothing. */
  readonly type: string;
  readonly uuid: string;
  readonly label: string;
}

/** The partclone program for each blkid TYPE it can map (Debian package partclone 0.3). */
export const PARTCLONE_PROGRAMS: Readonly<Record<string, string>> = {
  ext2: 'partclone.extfs', ext3: 'partclone.extfs', ext4: 'partclone.extfs',
  vfat: 'partclone.fat', xfs: 'partclone.xfs', btrfs: 'partclone.btrfs', ntfs: 'partclone.ntfs', exfat: 'partclone.exfat',
  f2fs: 'partclone.f2fs', hfsplus: 'partclone.hfsp',
};

export const EXT_TYPES: readonly string[] = ['ext2', 'ext3', 'ext4'];
/** Walking a large file system's bitmaps takes a while on a slow disk; a hung tool must not stall the capture forever. */
const MAP_TIMEOUT_MS = 30 * 60_000;

/** `blkid -o export` lines → fields; values are unescaped (blkid writes "\ " for a space). */
export function parseBlkidExport(text: string): FilesystemSignature {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) fields.set(m[1], (m[2] ?? '').replace(/\\(.)/g, '$1'));
  }
  const clean = (v: string | undefined): string => [...(v ?? '')].filter((c) => c >= ' ' && c !== '\u007f').join('').slice(0, 256);
  return { type: clean(fields.get('TYPE')), uuid: clean(fields.get('UUID')), label: clean(fields.get('LABEL')) };
}

/**
 * Probes `length` bytes at `offset` of the disk with `blkid -p` (low-level superblock probing,
 * no cache, no udev), which works the same on a block device and on an image file.
 */
export async function probeFilesystem(runner: ToolRunner, source: string, offset: number, length: number): Promise<FilesystemSignature> {
  const args = ['-p', '-o', 'export', ...(offset > 0 || length > 0 ? ['--offset', String(offset), '--size', String(length)] : []), source];
  const run = await runner('blkid', args, { timeoutMs: 60_000 });
  // Exit 2: nothing found; anything else but 0 is a failure, reported as "nothing known".
  return run.code === 0 ? parseBlkidExport(run.stdout) : { type: '', uuid: '', label: '' };
}

/**
 * Used byte ranges of the file system on partition node `node` from partclone's domain mode
 * (`-D`: writes a ddrescue map of used and free areas from the allocation bitmap, copying no
 * data), moved to disk offsets with --offset_domain. Throws with partclone's last words when it
 * refuses (an unclean NTFS, a damaged superblock).
 */
export async function partcloneUsed(runner: ToolRunner, program: string, node: string, offset: number, tmpDir: string): Promise<ByteRange[]> {
  const dir = await mkdtemp(join(tmpDir, 'rackcast-partclone-'));
  try {
    // -L: partclone logs to /var/log/partclone.log by default, which the preboot image lacks.
    // -f 0: its progress thread otherwise sleeps out a 2 s refresh before partclone may exit
    // (2.0 s → 0.05 s for the golden root; no busy loop: 0.04 s CPU for a 20 GiB ext4).
    const args = ['-D', '-f', '0', '-s', node, '-o', '-', '-L', join(dir, 'partclone.log'), `--offset_domain=${offset}`];
    const run = await runner(program, args, { timeoutMs: MAP_TIMEOUT_MS });
    if (run.code !== 0) throw new Error(`${commandLine(program, args)} failed (exit ${String(run.code)}): ${toolOutputTail(run)}`);
    return parseDomainMap(run.stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Used byte ranges of an ext2/3/4 file system `offset` bytes into the disk, from its block
 * bitmaps as `dumpe2fs` prints them. e2fsprogs opens "disk?offset=N" itself, so this needs no
 * partition node: it is how an image file's ext partitions are mapped.
 */
export async function dumpe2fsUsed(runner: ToolRunner, source: string, offset: number): Promise<ByteRange[]> {
  const target = e2fsTarget(source, offset);
  const run = await runner('dumpe2fs', [target], { timeoutMs: MAP_TIMEOUT_MS });
  if (run.code !== 0) throw new Error(`dumpe2fs ${target} failed (exit ${String(run.code)}): ${toolOutputTail(run)}`);
  return parseDumpe2fs(run.stdout).used.map((r) => ({ offset: r.offset + offset, length: r.length }));
}
