// Changes a given share of a disk's captured blocks, the way a machine's life changes them:
// bytes rewritten in place inside regular files' data, so the ext4 file system stays consistent
// (e2fsck -fn clean) and its used-block map stays the same. Exactly one file-system block is
// rewritten per chosen store block, so "k % of the blocks changed" is exact and checkable
// against the delta the server receives (its `offered` count).
import { execFile } from 'node:child_process';
import { open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { buildUsedMap, openCaptureSource, planBlocks, runTool } from '@rackcast/agent';
import { mulberry32 } from '@rackcast/wire/fuzz-random';
import { TOOL_ENV } from './real-disk.js';

const exec = promisify(execFile);
/** ext4's first non-reserved inode: lower ones (journal, resize inode) hold metadata. */
const FIRST_FILE_INODE = 11;
/** File-system blocks tried per store block: start, quarter, half, three quarters. */
const PROBES = 4;

export interface ExtPartition {
  readonly offset: number;
  readonly size: number;
  readonly blockSize: number;
}

export interface ChangedDisk {
  /** Store blocks the capture keeps as used (file systems' maps, partition table). */
  readonly usedBlocks: number;
  /** Store blocks rewritten: round(share × usedBlocks). */
  readonly changedBlocks: number;
}


async function debugfs(target: string, commands: readonly string[]): Promise<string> {
  const file = `${tmpdir()}/rackcast-bench-debugfs-${process.pid}.cmd`;
  await writeFile(file, `${commands.join('\n')}\n`);
  try {
    return (await exec('debugfs', ['-f', file, target], { env: TOOL_ENV, maxBuffer: 1 << 28, timeout: 10 * 60_000 })).stdout;
  } finally {
    await rm(file, { force: true });
  }
}

/** The ext4 partition (partition 2) of a disk image made by real-disk.ts. */
export async function extPartition(disk: string): Promise<ExtPartition> {
  const table = JSON.parse((await exec('sfdisk', ['--json', disk], { env: TOOL_ENV })).stdout) as { partitiontable: { sectorsize: number; partitions: { start: number; size: number }[] } };
  const part = table.partitiontable.partitions[1];
  if (!part) throw new Error(`${disk} has no partition 2`);
  const offset = part.start * table.partitiontable.sectorsize;
  const header = (await exec('dumpe2fs', ['-h', `${disk}?offset=${offset}`], { env: TOOL_ENV })).stdout;
  const blockSize = Number(/^Block size:\s+(\d+)/m.exec(header)?.[1]);
  return { offset, size: part.size * table.partitiontable.sectorsize, blockSize };
}

/** Data extents per inode from debugfs `stat` output: "(0-10):2112-2122", "(11):3000"; "(ETB0):…" index blocks are skipped. */
function dataExtents(statOutput: string): Map<number, { from: number; to: number }[]> {
  const byInode = new Map<number, { from: number; to: number }[]>();
  for (const section of statOutput.split(/^debugfs: stat /m).slice(1)) {
    const inode = Number(/^Inode: (\d+)\s+Type: regular/m.exec(section)?.[1]);
    if (!Number.isInteger(inode)) continue;
    const extents = [...section.matchAll(/\((\d+)(?:-\d+)?\):(\d+)(?:-(\d+))?/g)].map((m) => ({ from: Number(m[2]), to: Number(m[3] ?? m[2]) }));
    byInode.set(inode, extents);
  }
  return byInode;
}

/** File-system blocks that hold regular files' data, among `candidates`. */
async function fileDataBlocks(target: string, candidates: readonly number[]): Promise<Set<number>> {
  const owners = new Map<number, number>();
  const chunks: string[] = [];
  for (let i = 0; i < candidates.length; i += 256) chunks.push(`icheck ${candidates.slice(i, i + 256).join(' ')}`);
  for (const m of (await debugfs(target, chunks)).matchAll(/^(\d+)\t(\d+)$/gm)) {
    if (Number(m[2]) > FIRST_FILE_INODE) owners.set(Number(m[1]), Number(m[2]));
  }
  const extents = dataExtents(await debugfs(target, [...new Set(owners.values())].map((ino) => `stat <${ino}>`)));
  const data = new Set<number>();
  for (const [block, ino] of owners) {
    if (extents.get(ino)?.some((e) => block >= e.from && block <= e.to)) data.add(block);
  }
  return data;
}

/**
 * Rewrites one file data block in each of round(`share` × used store blocks) store blocks of
 * `disk` (e.g. share 0.01), chosen at random with `seed`, with random bytes.
 */
export async function changeBlocks(disk: string, share: number, storeBlockSize: number, seed: number): Promise<ChangedDisk> {
  const part = await extPartition(disk);
  const map = await buildUsedMap(await openCaptureSource(disk), { runner: runTool, tmpDir: tmpdir() });
  const used = [...planBlocks(map.used, [], map.diskSize, storeBlockSize)].filter((b) => b.used);
  const target = Math.round(share * used.length);
  const random = mulberry32(seed);
  const inExt = used.filter((b) => b.offset >= part.offset && b.offset + b.length <= part.offset + part.size);
  for (let i = inExt.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const [a, b] = [inExt[i], inExt[j]];
    if (a && b) [inExt[i], inExt[j]] = [b, a];
  }
  const perStore = storeBlockSize / part.blockSize;
  const fsBlock = (offset: number, probe: number): number => (offset - part.offset) / part.blockSize + Math.floor((probe * perStore) / PROBES);
  const candidates = inExt.slice(0, Math.min(inExt.length, target * 3 + 16));
  const data = await fileDataBlocks(`${disk}?offset=${part.offset}`, candidates.flatMap((b) => Array.from({ length: PROBES }, (_, p) => fsBlock(b.offset, p))));
  const handle = await open(disk, 'r+');
  let changed = 0;
  try {
    for (const b of candidates) {
      if (changed === target) break;
      const block = Array.from({ length: PROBES }, (_, p) => fsBlock(b.offset, p)).find((n) => data.has(n));
      if (block === undefined) continue;
      const bytes = Buffer.alloc(part.blockSize);
      for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
      await handle.write(bytes, 0, bytes.length, part.offset + block * part.blockSize);
      changed++;
    }
  } finally {
    await handle.close();
  }
  if (changed < target) throw new Error(`found file data in only ${changed} of the ${target} store blocks wanted; the disk holds too little file data`);
  return { usedBlocks: used.length, changedBlocks: changed };
}

/** e2fsck -fn on the ext4 partition: the changes left the file system consistent. */
export async function checkExt(disk: string): Promise<void> {
  const part = await extPartition(disk);
  await exec('e2fsck', ['-fn', `${disk}?offset=${part.offset}`], { env: TOOL_ENV, timeout: 10 * 60_000 });
}
