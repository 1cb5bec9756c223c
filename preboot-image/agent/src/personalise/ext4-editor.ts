import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ToolRunner } from '../disk/index.js';
import { PersonaliseError } from './personalise-error.js';

/** One directory entry as `debugfs ls -p` prints it. */
export interface DirEntry {
  readonly name: string;
  readonly kind: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits, e.g. 0o644. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
}

/** A change to the file system; paths are absolute inside it. */
export type Edit =
  /** Creates or replaces a regular file with this content, mode and owner. */
  | { readonly op: 'write'; readonly path: string; readonly content: string; readonly mode: number; readonly uid: number; readonly gid: number; readonly replace: boolean }
  | { readonly op: 'remove'; readonly path: string }
  /** Renames within the file system (a new name, then the old one unlinked: the inode and its link count stay). */
  | { readonly op: 'rename'; readonly from: string; readonly to: string }
  | { readonly op: 'mkdir'; readonly path: string };

const KIND: Readonly<Record<string, DirEntry['kind']>> = { '04': 'dir', '10': 'file', '12': 'symlink' };

/** Paths go into debugfs command lines in double quotes; anything that could break out is refused. */
function quote(path: string): string {
  if (!/^\/[^"\\\n\r\0]*$/.test(path)) throw new PersonaliseError('RC_ERR_PERSONALISE_EDIT', `cannot edit ${JSON.stringify(path)}: quotes, backslashes and control characters are not supported in paths`);
  return `"${path}"`;
}

/** `ls -p` lines: "/ino/mode/uid/gid/name/size/" (mode in octal with the type bits). */
export function parseLsP(text: string): DirEntry[] {
  const entries: DirEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\/(\d+)\/([0-7]{6})\/(\d+)\/(\d+)\/(.*)\/(\d*)\/$/.exec(line);
    if (!m || m[5] === '.' || m[5] === '..') continue;
    const mode = m[2] ?? '000000';
    entries.push({ name: m[5] ?? '', kind: KIND[mode.slice(0, 2)] ?? 'other', mode: parseInt(mode.slice(2), 8), uid: Number(m[3]), gid: Number(m[4]), size: Number(m[6] || 0) });
  }
  return entries;
}

/** Splits `debugfs -f` output at its echoed prompts ("debugfs: <command>") into one text per command. */
export function splitByCommand(stdout: string): string[] {
  return stdout.split(/^debugfs: .*$/m).slice(1);
}

/** Error lines of a debugfs run: all of stderr but its version banner. */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^debugfs \d/.test(l));
}

/**
 * Reads and edits an ext2/3/4 file system with e2fsprogs' debugfs, straight on the disk by
 * byte offset: no mount (nothing of the preboot environment, such as "last mounted on", lands
 * in the clone's superblock), no loop device, no kernel ext4 driver. Each method is one debugfs
 * run with a command file.
 */
export class Ext4Editor {
  readonly #runner: ToolRunner;
  readonly #target: string;
  readonly #tmpDir: string;

  /** `target`: what debugfs opens, e.g. "/dev/sda?offset=68157440". */
  constructor(runner: ToolRunner, target: string, tmpDir: string) {
    this.#runner = runner;
    this.#target = target;
    this.#tmpDir = tmpDir;
  }

  async #debugfs(commands: readonly string[], write: boolean): Promise<{ stdout: string; errors: string[] }> {
    const dir = await mkdtemp(join(this.#tmpDir, 'rackcast-debugfs-'));
    try {
      const file = join(dir, 'commands');
      await writeFile(file, `${commands.join('\n')}\n`);
      const run = await this.#runner('debugfs', [...(write ? ['-w'] : []), '-f', file, this.#target]);
      if (run.code !== 0) throw new PersonaliseError('RC_ERR_PERSONALISE_EDIT', `debugfs ${this.#target} failed (exit ${String(run.code)}): ${run.stderr.trim()}`);
      return { stdout: run.stdout, errors: errorLines(run.stderr) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The entries of each directory; null for a directory that does not exist. */
  async list(dirs: readonly string[]): Promise<Map<string, DirEntry[] | null>> {
    const { stdout } = await this.#debugfs(dirs.map((d) => `ls -p ${quote(d)}`), false);
    const sections = splitByCommand(stdout);
    // A missing directory prints nothing (its error goes to stderr); an existing one at least "." and "..".
    return new Map(dirs.map((d, i) => [d, /\/\.\/\/$/m.test(sections[i] ?? '') ? parseLsP(sections[i] ?? '') : null]));
  }

  /** The contents of regular files (that exist: list first). */
  async read(paths: readonly string[]): Promise<Map<string, string>> {
    if (paths.length === 0) return new Map();
    const dir = await mkdtemp(join(this.#tmpDir, 'rackcast-dump-'));
    try {
      const { errors } = await this.#debugfs(paths.map((p, i) => `dump ${quote(p)} "${join(dir, String(i))}"`), false);
      if (errors.length > 0) throw new PersonaliseError('RC_ERR_PERSONALISE_EDIT', `debugfs could not read ${paths.join(', ')}: ${errors.join(' | ')}`);
      return new Map(await Promise.all(paths.map(async (p, i) => [p, await readFile(join(dir, String(i)), 'utf8')] as const)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Applies the edits in order, in one debugfs run; any error line fails the whole call. */
  async apply(edits: readonly Edit[]): Promise<void> {
    if (edits.length === 0) return;
    const dir = await mkdtemp(join(this.#tmpDir, 'rackcast-write-'));
    try {
      const commands: string[] = [];
      for (const [i, e] of edits.entries()) commands.push(...await this.#commands(e, join(dir, String(i))));
      const { errors } = await this.#debugfs(commands, true);
      if (errors.length > 0) throw new PersonaliseError('RC_ERR_PERSONALISE_EDIT', `debugfs failed to edit the clone's file system: ${errors.join(' | ')}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #commands(e: Edit, staged: string): Promise<string[]> {
    switch (e.op) {
      case 'remove': return [`rm ${quote(e.path)}`];
      case 'mkdir': return [`mkdir ${quote(e.path)}`];
      case 'rename': return [`ln ${quote(e.from)} ${quote(e.to)}`, `unlink ${quote(e.from)}`];
      case 'write': {
        await writeFile(staged, e.content);
        const p = quote(e.path);
        return [...(e.replace ? [`rm ${p}`] : []), `write "${staged}" ${p}`,
          `set_inode_field ${p} mode 0${(0o100000 | e.mode).toString(8)}`, `set_inode_field ${p} uid ${e.uid}`, `set_inode_field ${p} gid ${e.gid}`];
      }
    }
  }
}
