// A realistic disk for the capture benchmarks: a sparse GPT disk image (FAT32 ESP, empty, and an
// ext4 partition holding ~530 MB of real system files), built by scripts/make-test-disk.sh
// without loop devices or mounts. Shared by capture-map.ts and capture/run-capture-bench.ts.
import { execFile } from 'node:child_process';
import { cp as copyTree, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const makeDisk = join(root, 'scripts/make-test-disk.sh');

/** PATH with /usr/sbin: mkfs, sfdisk, debugfs and partclone live there on Debian. */
export const TOOL_ENV = { ...process.env, PATH: `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };

/** Real files of this host, ~530 MB (du): binaries, docs, Python, Perl, time zones. */
const TREE_SOURCES = ['/usr/bin', '/usr/share/doc', '/usr/lib/python3.11', '/usr/share/perl', '/usr/share/zoneinfo'];

/** Copies the system files the disk's ext4 partition is filled with into `work`/tree. */
export async function buildFileTree(work: string): Promise<string> {
  const tree = join(work, 'tree');
  await mkdir(tree, { recursive: true });
  for (const src of TREE_SOURCES) {
    // A source this host lacks only makes the tree smaller; the bench prints what it captured.
    await copyTree(src, join(tree, src.replaceAll('/', '_')), { recursive: true, verbatimSymlinks: true, errorOnExist: false }).catch(() => undefined);
  }
  return tree;
}

export interface RealDisk {
  readonly path: string;
  /** The partitions as files of their own (`--keep-parts`): what partclone opens. */
  readonly partitionPath: (n: number) => string | null;
}

/** Builds `out` (e.g. size "2G"): GPT, ESP of 64 MiB, ext4 over the rest holding `tree`. */
export async function buildRealDisk(out: string, tree: string, size: string): Promise<RealDisk> {
  await exec('bash', [makeDisk, 'build', out, '--size', size, '--fat-size', '64M', '--ext4-from', tree, '--keep-parts'], { maxBuffer: 1 << 24, env: TOOL_ENV, timeout: 20 * 60_000 });
  return { path: out, partitionPath: (n) => (n === 1 || n === 2 ? `${out}.p${n}.img` : null) };
}
