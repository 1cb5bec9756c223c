// Test helpers for realistic disk images: builds GPT disks with a FAT32 EFI System partition
// and an ext4 root partition through scripts/make-test-disk.sh (no loop devices, no mounts),
// changes files inside them, fills directories with deterministic content and reads files back.
import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The script, found from the compiled file test/dist/helpers/disk-image.js. */
export const MAKE_TEST_DISK = fileURLToPath(new URL('../../../scripts/make-test-disk.sh', import.meta.url));

const MIB = 1024 * 1024;
/** Debian keeps sfdisk, debugfs and mkfs.* in /usr/sbin, which a normal user's PATH lacks. */
const TOOL_ENV: NodeJS.ProcessEnv = { ...process.env, PATH: `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };

/** A size in bytes (a whole number of MiB) or a string the script takes, such as "256M". */
export type DiskSize = number | `${number}${'K' | 'M' | 'G'}`;

export interface BuildDiskOptions {
  /** Size of the whole disk. Default 256M. */
  size?: DiskSize;
  /** Directory copied into the ext4 partition (mkfs.ext4 -d). Empty filesystem if absent. */
  ext4From?: string;
  /** Size of the ext4 partition. Default: the rest of the disk. */
  ext4Size?: DiskSize;
  /** Directory copied into the FAT32 EFI System partition (mcopy -s). */
  fatFrom?: string;
  /** Size of the FAT32 partition; at least 33M (FAT32 needs 65525 clusters). Default 33M. */
  fatSize?: DiskSize;
  /** Keep the partition images as OUT.p1.img and OUT.p2.img. */
  keepParts?: boolean;
  /** Run fsck on the new filesystems and fail on any error. */
  check?: boolean;
}

/** One change inside the ext4 partition, applied in order. */
export type ModifyOp =
  /** Copy the local file `src` to `dest` (replacing it; missing parents are created). */
  | { op: 'write'; src: string; dest: string }
  /** Remove a file, a symlink or an empty directory. */
  | { op: 'rm'; path: string }
  /** Create a directory and its missing parents. */
  | { op: 'mkdir'; path: string };

export interface ModifyDiskOptions {
  /** Partition number of the ext4 filesystem. Default 2. */
  partition?: number;
  /** Run e2fsck -fn on the result and fail on any error. */
  check?: boolean;
}

export interface PartitionInfo {
  /** Partition number (1-based, as in /dev/sda1). */
  number: number;
  startBytes: number;
  sizeBytes: number;
  /** Partition type GUID (GPT) or hex type (MBR). */
  type: string;
  uuid?: string;
  name?: string;
}

export interface PartitionTable {
  label: string;
  id: string;
  sectorSize: number;
  partitions: PartitionInfo[];
}

/** Error of a failed tool run, with what the tool printed. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

interface ExecFailure {
  message: string;
  stdout?: string | Buffer;
  stderr?: string | Buffer;
}

function isExecFailure(e: unknown): e is ExecFailure {
  return e instanceof Error;
}

async function runText(file: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, args, { env: TOOL_ENV, maxBuffer: 64 * MIB, encoding: 'utf8' });
    return stdout;
  } catch (e: unknown) {
    if (!isExecFailure(e)) throw e;
    const stderr = String(e.stderr ?? '').trim();
    throw new ToolError(`${file} ${args.join(' ')} failed${stderr ? `: ${stderr}` : `: ${e.message}`}`, String(e.stdout ?? ''), stderr);
  }
}

async function runBuffer(file: string, args: readonly string[]): Promise<{ stdout: Buffer; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, { env: TOOL_ENV, maxBuffer: 1024 * MIB, encoding: 'buffer' });
    return { stdout, stderr: stderr.toString('utf8') };
  } catch (e: unknown) {
    if (!isExecFailure(e)) throw e;
    const stderr = String(e.stderr ?? '').trim();
    throw new ToolError(`${file} ${args.join(' ')} failed: ${stderr || e.message}`, '', stderr);
  }
}

function sizeArg(name: string, size: DiskSize): string {
  if (typeof size === 'string') return size;
  if (!Number.isInteger(size) || size <= 0 || size % MIB !== 0) {
    throw new RangeError(`${name}: ${size} is not a positive whole number of MiB`);
  }
  return `${size / MIB}M`;
}

function script(): string {
  if (!existsSync(MAKE_TEST_DISK)) throw new Error(`make-test-disk.sh not found at ${MAKE_TEST_DISK}`);
  return MAKE_TEST_DISK;
}

/** Builds a GPT disk image at `out`: p1 = EFI System (FAT32), p2 = Linux filesystem (ext4). */
export async function buildTestDisk(out: string, opts: BuildDiskOptions = {}): Promise<void> {
  const args = ['build', out];
  if (opts.size !== undefined) args.push('--size', sizeArg('size', opts.size));
  if (opts.ext4From !== undefined) args.push('--ext4-from', opts.ext4From);
  if (opts.ext4Size !== undefined) args.push('--ext4-size', sizeArg('ext4Size', opts.ext4Size));
  if (opts.fatFrom !== undefined) args.push('--fat-from', opts.fatFrom);
  if (opts.fatSize !== undefined) args.push('--fat-size', sizeArg('fatSize', opts.fatSize));
  if (opts.keepParts === true) args.push('--keep-parts');
  if (opts.check === true) args.push('--check');
  await runText(script(), args);
}

/** Changes files inside the ext4 partition of `img`; the image is left as it was on failure. */
export async function modifyTestDisk(img: string, ops: readonly ModifyOp[], opts: ModifyDiskOptions = {}): Promise<void> {
  if (ops.length === 0) return;
  const args = ['modify', img, '--partition', String(opts.partition ?? 2)];
  for (const o of ops) {
    switch (o.op) {
      case 'write':
        if (!o.dest.startsWith('/')) throw new RangeError(`write: destination must be absolute: ${o.dest}`);
        args.push('--write', `${o.src}:${o.dest}`);
        break;
      case 'rm':
        args.push('--rm', o.path);
        break;
      case 'mkdir':
        args.push('--mkdir', o.path);
        break;
    }
  }
  if (opts.check === true) args.push('--check');
  await runText(script(), args);
}

interface SfdiskJson {
  partitiontable: {
    label: string;
    id: string;
    sectorsize?: number;
    partitions?: { node: string; start: number; size: number; type: string; uuid?: string; name?: string }[];
  };
}

/** The partition table of an image file, from `sfdisk --json`. */
export async function readPartitionTable(img: string): Promise<PartitionTable> {
  const parsed = JSON.parse(await runText('sfdisk', ['--json', img])) as SfdiskJson;
  const t = parsed.partitiontable;
  const sectorSize = t.sectorsize ?? 512;
  return {
    label: t.label,
    id: t.id,
    sectorSize,
    partitions: (t.partitions ?? []).map((p) => {
      const m = /(\d+)$/.exec(p.node);
      if (!m?.[1]) throw new Error(`unexpected partition node name from sfdisk: ${p.node}`);
      const info: PartitionInfo = { number: Number(m[1]), startBytes: p.start * sectorSize, sizeBytes: p.size * sectorSize, type: p.type };
      if (p.uuid !== undefined) info.uuid = p.uuid;
      if (p.name !== undefined) info.name = p.name;
      return info;
    }),
  };
}

/** Runs one read-only debugfs request on the ext4 filesystem of partition `partition` of `img`. */
export async function debugfsRequest(img: string, request: string, partition = 2): Promise<Buffer> {
  const table = await readPartitionTable(img);
  const part = table.partitions.find((p) => p.number === partition);
  if (!part) throw new Error(`${img} has no partition ${partition}`);
  // debugfs (unix_io) reads a filesystem at an offset inside a file: "file?offset=N".
  const { stdout, stderr } = await runBuffer('debugfs', ['-R', request, `${img}?offset=${part.startBytes}`]);
  // debugfs exits 0 even when a request fails; anything besides its banner on stderr is an error.
  const errors = stderr.split('\n').filter((l) => l.trim() !== '' && !/^debugfs \d/.test(l));
  if (errors.length > 0) throw new ToolError(`debugfs ${request}: ${errors.join('; ')}`, '', stderr);
  return stdout;
}

/** The contents of a file in the ext4 partition of `img`. */
export async function readTestDiskFile(img: string, path: string, partition = 2): Promise<Buffer> {
  if (path.includes('"')) throw new RangeError(`path not supported by debugfs: ${path}`);
  return debugfsRequest(img, `cat "${path}"`, partition);
}

/** Whether `path` exists in the ext4 partition of `img`. */
export async function testDiskPathExists(img: string, path: string, partition = 2): Promise<boolean> {
  if (path.includes('"')) throw new RangeError(`path not supported by debugfs: ${path}`);
  try {
    await debugfsRequest(img, `stat "${path}"`, partition);
    return true;
  } catch (e: unknown) {
    if (e instanceof ToolError && /not found/i.test(e.stderr)) return false;
    throw e;
  }
}

/** SHA-256 of a file, hex, read as a stream. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Sizes of generated files: a range (log-uniform, so most files are small) or a list to pick from. */
export type FileSizes = { min: number; max: number } | readonly number[];

export interface FillOptions {
  /** Number of files to create (directories come on top). */
  files: number;
  /** Same seed, same tree, byte for byte. */
  seed: number | string;
  /** Sizes of the non-empty files. Default { min: 1, max: 256 KiB }. */
  sizes?: FileSizes;
}

export type FileKind = 'text' | 'binary' | 'empty';

export interface FilledFile {
  /** Path relative to the filled directory, with "/" separators. */
  path: string;
  size: number;
  kind: FileKind;
}

/** sfc32: small, fast, seedable PRNG; returns uniform floats in [0, 1). */
function prng(seed: number | string): () => number {
  const h = createHash('sha256').update(`fill:${String(seed)}`).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

const WORDS = [
  'block', 'image', 'restore', 'network', 'boot', 'manifest', 'version', 'kernel', 'driver', 'config',
  'partition', 'sector', 'the', 'a', 'of', 'and', 'to', 'is', 'for', 'with', 'server', 'client',
  'multicast', 'packet', 'hash', 'store', 'disk', 'file', 'error', 'value', 'default', 'option',
];
const EXTENSIONS: Record<FileKind, readonly string[]> = {
  text: ['.txt', '.conf', '.md', '.log', '.sh', ''],
  binary: ['.bin', '.so', '.dat', '.gz', ''],
  empty: ['', '.lock', '.keep'],
};

function pick<T>(rand: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

function pickSize(rand: () => number, sizes: FileSizes): number {
  if (!('min' in sizes)) return pick(rand, sizes);
  const { min, max } = sizes;
  if (!(min >= 1 && max >= min)) throw new RangeError(`bad size range ${min}..${max}`);
  return Math.round(Math.exp(Math.log(min) + rand() * (Math.log(max) - Math.log(min))));
}

function textContent(rand: () => number, size: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  let line = 0;
  while (length < size) {
    const words = 3 + Math.floor(rand() * 12);
    let s = `${line++}: `;
    for (let i = 0; i < words; i++) s += `${pick(rand, WORDS)} `;
    s += '\n';
    parts.push(s);
    length += s.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

/** Random-looking bytes: an AES-256-CTR keystream keyed by the seed and the file's path. */
function binaryContent(seed: number | string, path: string, size: number): Buffer {
  const key = createHash('sha256').update(`bin:${String(seed)}:${path}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

/**
 * Creates a deterministic tree of `files` files under `dir` (created if needed): about 50 %
 * text, 40 % random binary, 10 % empty files, spread over nested directories up to four levels
 * deep. Returns the files created, in creation order.
 */
export async function fillDirectory(dir: string, opts: FillOptions): Promise<FilledFile[]> {
  const rand = prng(opts.seed);
  const sizes = opts.sizes ?? { min: 1, max: 256 * 1024 };
  const dirs: string[] = [''];
  const created: FilledFile[] = [];
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < opts.files; i++) {
    // Now and then open a new subdirectory below an existing one (at most 4 levels deep).
    if (rand() < 0.15) {
      const parent = pick(rand, dirs.filter((d) => d.split('/').length < 4));
      const sub = `${parent ? `${parent}/` : ''}${pick(rand, WORDS)}-d${dirs.length}`;
      await mkdir(join(dir, sub), { recursive: true });
      dirs.push(sub);
    }
    const r = rand();
    const kind: FileKind = r < 0.1 ? 'empty' : r < 0.6 ? 'text' : 'binary';
    const parent = pick(rand, dirs);
    // The index makes every name unique; directories are named "<word>-d<n>", so never clash.
    const name = `${pick(rand, WORDS)}-${i}${pick(rand, EXTENSIONS[kind])}`;
    const path = parent ? `${parent}/${name}` : name;
    const size = kind === 'empty' ? 0 : pickSize(rand, sizes);
    const content = kind === 'empty' ? Buffer.alloc(0) : kind === 'text' ? textContent(rand, size) : binaryContent(opts.seed, path, size);
    await writeFile(join(dir, path), content);
    created.push({ path, size, kind });
  }
  return created;
}
