import { readFile, readdir, realpath } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** One thing that uses a disk or one of its partitions, in words a technician recognises. */
export interface BlockUse {
  readonly kind: 'mount' | 'swap' | 'holder' | 'loop';
  /** The partition or disk used, e.g. "sda2". */
  readonly device: string;
  /** e.g. "mounted on /boot", "swap", "held by dm-0 (vg0-root)", "backs loop3". */
  readonly detail: string;
}

/** A disk and its partitions as sysfs names them, with their "major:minor" numbers. */
export interface BlockFamily {
  readonly disk: string;
  /** Names of the disk itself and of each partition ("sda", "sda1", …). */
  readonly names: readonly string[];
  /** "major:minor" of each name, e.g. "8:0"; "" when sysfs has none. */
  readonly numbers: ReadonlyMap<string, string>;
}

async function text(path: string): Promise<string | null> {
  return readFile(path, 'utf8').then((t) => t, () => null);
}

async function list(path: string): Promise<string[]> {
  return readdir(path).then((n) => n.sort(), () => []);
}

/** The disk's partitions: the entries of /sys/block/<disk>/ that have a `partition` file. */
export async function readBlockFamily(sysRoot: string, disk: string): Promise<BlockFamily> {
  const base = join(sysRoot, 'block', disk);
  const entries = await list(base);
  const parts: string[] = [];
  for (const e of entries) if ((await text(join(base, e, 'partition'))) !== null) parts.push(e);
  const names = [disk, ...parts];
  const numbers = new Map<string, string>();
  for (const n of names) numbers.set(n, (await text(join(base, n === disk ? '' : n, 'dev')))?.trim() ?? '');
  return { disk, names, numbers };
}

/** The kernel name a /dev path stands for ("/dev/disk/by-uuid/…" → "sda2"); the last component when it cannot be resolved. */
async function nodeName(source: string): Promise<string> {
  if (!source.startsWith('/dev/')) return '';
  return basename(await realpath(source).catch(() => source));
}

/** /proc/self/mountinfo (by major:minor, which also catches "/dev/root") and /proc/mounts (by source). */
async function mountUses(procRoot: string, family: BlockFamily): Promise<BlockUse[]> {
  const uses: BlockUse[] = [];
  const byNumber = new Map([...family.numbers].filter(([, n]) => n !== '').map(([name, n]) => [n, name]));
  for (const line of ((await text(join(procRoot, 'self', 'mountinfo'))) ?? '').split('\n')) {
    const f = line.split(' ');
    const name = f[2] === undefined ? undefined : byNumber.get(f[2]);
    if (name !== undefined) uses.push({ kind: 'mount', device: name, detail: `mounted on ${f[4] ?? '?'}` });
  }
  for (const line of ((await text(join(procRoot, 'mounts'))) ?? '').split('\n')) {
    const [source = '', point = '?'] = line.split(' ');
    const name = await nodeName(source);
    if (family.names.includes(name) && !uses.some((u) => u.device === name && u.detail === `mounted on ${point}`)) {
      uses.push({ kind: 'mount', device: name, detail: `mounted on ${point}` });
    }
  }
  return uses;
}

async function swapUses(procRoot: string, family: BlockFamily): Promise<BlockUse[]> {
  const uses: BlockUse[] = [];
  for (const line of ((await text(join(procRoot, 'swaps'))) ?? '').split('\n').slice(1)) {
    const name = await nodeName(line.split(/\s+/)[0] ?? '');
    if (family.names.includes(name)) uses.push({ kind: 'swap', device: name, detail: 'active swap' });
  }
  return uses;
}

/** md RAID, device mapper (LVM, dm-crypt, multipath) and bcache register as holders in sysfs. */
async function holderUses(sysRoot: string, family: BlockFamily): Promise<BlockUse[]> {
  const uses: BlockUse[] = [];
  for (const name of family.names) {
    const dir = name === family.disk ? join(sysRoot, 'block', name) : join(sysRoot, 'block', family.disk, name);
    for (const holder of await list(join(dir, 'holders'))) {
      const dmName = (await text(join(sysRoot, 'block', holder, 'dm', 'name')))?.trim();
      uses.push({ kind: 'holder', device: name, detail: `held by ${holder}${dmName ? ` (${dmName})` : ''}` });
    }
  }
  return uses;
}

/** Loop devices whose backing file is `path` (a disk image file, or the disk node itself). */
export async function loopUses(sysRoot: string, path: string, device: string): Promise<BlockUse[]> {
  const uses: BlockUse[] = [];
  for (const loop of (await list(join(sysRoot, 'block'))).filter((n) => /^loop\d+$/.test(n))) {
    const backing = (await text(join(sysRoot, 'block', loop, 'loop', 'backing_file')))?.trim();
    if (backing === path) uses.push({ kind: 'loop', device, detail: `backs ${loop}` });
  }
  return uses;
}

/** Everything that currently uses the disk or a partition of it, from /proc and /sys. */
export async function readBlockUses(procRoot: string, sysRoot: string, family: BlockFamily): Promise<BlockUse[]> {
  return [
    ...await mountUses(procRoot, family), ...await swapUses(procRoot, family),
    ...await holderUses(sysRoot, family), ...await loopUses(sysRoot, `/dev/${family.disk}`, family.disk),
  ];
}
