import { chmod, copyFile, lutimes, mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImagePlan } from './image-plan.js';
import { runPipelineToFile } from './run-command.js';

/** How archives are written. */
export interface ArchiveOptions {
  /** mtime of every entry (SOURCE_DATE_EPOCH), in seconds. Example: 0 */
  readonly epoch: number;
  /** zstd level. 3: fast to unpack under emulation (research/lab.md; xz takes 31 s there). */
  readonly zstdLevel: number;
  /** Scratch folder for the staging tree (removed afterwards). Example: var/cache/preboot/work */
  readonly workDir: string;
}

/** The compressor settings that change the bytes, for the plan key. */
export function archiveSalt(opts: ArchiveOptions, zstdVersion: string): string {
  return `newc zstd-${zstdVersion} -${opts.zstdLevel} epoch=${opts.epoch}`;
}

/** Copies the plan into `dir` with exact modes, then sets every mtime to the epoch (deepest first). */
async function stage(plan: ImagePlan, dir: string, epoch: number): Promise<void> {
  const entries = plan.entries();
  for (const e of entries) {
    const to = join(dir, e.path);
    if (e.kind === 'dir') await mkdir(to, { recursive: true });
    else if (e.kind === 'file') await copyFile(e.source, to);
    else if (e.kind === 'data') await writeFile(to, e.data);
    else await symlink(e.target, to);
    if (e.kind !== 'symlink') await chmod(to, e.mode);
  }
  // Children before parents: writing into a directory would move its mtime again.
  for (const e of [...entries].reverse()) {
    const to = join(dir, e.path);
    if (e.kind === 'symlink') await lutimes(to, epoch, epoch);
    else await utimes(to, epoch, epoch);
  }
}

/**
 * Writes the plan as a zstd-compressed newc cpio archive to `outFile` (atomically: a temporary
 * name, then rename). Reproducible: entries in byte order, owner root, fixed mtimes, inode
 * numbers from `cpio --reproducible`, and zstd whose output does not depend on thread count.
 */
export async function writeArchive(plan: ImagePlan, outFile: string, opts: ArchiveOptions): Promise<void> {
  await mkdir(opts.workDir, { recursive: true });
  const staging = await mkdtemp(join(opts.workDir, 'stage-'));
  const partial = `${outFile}.partial-${process.pid}`;
  try {
    await stage(plan, staging, opts.epoch);
    const list = plan.entries().map((e) => e.path).join('\n');
    await runPipelineToFile(
      ['cpio', ['--create', '--format=newc', '--reproducible', '--owner=0:0', '--quiet']],
      ['zstd', [`-${opts.zstdLevel}`, '-T0', '-q', '-c']],
      partial,
      { cwd: staging, input: `${list}\n` },
    );
    await rename(partial, outFile);
  } finally {
    await rm(partial, { force: true });
    await rm(staging, { recursive: true, force: true });
  }
}
