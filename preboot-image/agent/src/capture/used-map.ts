import type { CapturedFilesystem, CapturedPartitionTable, UsedBlockMethod } from '@rackcast/wire';
import { EXTENDED_TYPES, readExt4Superblock, type ByteRange, type ToolRunner } from '../disk/index.js';
import { clipRanges, mergeRanges, subtractRanges } from './block-plan.js';
import type { CaptureSource } from './capture-source.js';
import { dumpe2fsUsed, EXT_TYPES, PARTCLONE_PROGRAMS, partcloneUsed, probeFilesystem, type FilesystemSignature } from './filesystem-probe.js';
import { parseSfdiskLayout } from './partition-layout.js';

/** The protective MBR, the GPT and boot code living in the gap before the first partition (GRUB's core.img). */
export const HEAD_AREA_BYTES = 1024 * 1024;
/** The backup GPT: 32 sectors of entries and the backup header (for 512-byte sectors; 4Kn disks need 5 of 4 KiB). */
export const GPT_BACKUP_BYTES = 33 * 512;

/** Which parts of the disk a capture reads, and what it found there. */
export interface UsedMap {
  readonly diskSize: number;
  readonly table: CapturedPartitionTable | null;
  /** Filesystems with their method; `usedBytes` of zero-scanned ones is filled in after reading. */
  readonly filesystems: CapturedFilesystem[];
  /** Read and kept whatever their content: file system allocations, partition-table areas. */
  readonly used: ByteRange[];
  /** Read and kept only where not all zeros: unknown contents, gaps between partitions. */
  readonly scan: ByteRange[];
  /** Why a method fell back, e.g. "partition 2: partclone.extfs failed: …; used dumpe2fs". */
  readonly problems: string[];
}

export interface UsedMapOptions {
  readonly runner: ToolRunner;
  /** Scratch folder for partclone's log, e.g. "/tmp". */
  readonly tmpDir: string;
}

interface Region {
  readonly partition: number | null;
  readonly offset: number;
  readonly size: number;
}

const total = (ranges: readonly ByteRange[]): number => ranges.reduce((n, r) => n + r.length, 0);

/** A journal with unreplayed transactions references blocks the bitmap may not show yet. */
async function extNeedsRecovery(source: string, offset: number): Promise<boolean> {
  const sb = await readExt4Superblock(source, offset).catch(() => null);
  return sb !== null && sb.needsRecovery;
}

/**
 * Finds the used ranges of one file system: partclone when the partition has a node of its own,
 * dumpe2fs for ext2/3/4, else a zero scan. Each step that fails says why and passes to the next.
 */
async function mapFilesystem(source: CaptureSource, region: Region, sig: FilesystemSignature, o: UsedMapOptions, problems: string[]): Promise<{ method: UsedBlockMethod; used: ByteRange[] }> {
  const where = region.partition === null ? 'the disk' : `partition ${region.partition}`;
  const clip = (ranges: ByteRange[]): ByteRange[] => clipRanges(ranges.map((r) => ({ offset: r.offset - region.offset, length: r.length })), region.size)
    .map((r) => ({ offset: r.offset + region.offset, length: r.length }));
  if (EXT_TYPES.includes(sig.type) && await extNeedsRecovery(source.path, region.offset)) {
    problems.push(`${where}: the ext journal needs recovery, so its bitmaps may be stale; scanned for non-zero blocks instead`);
    return { method: 'zero-scan', used: [] };
  }
  const program = PARTCLONE_PROGRAMS[sig.type];
  // A file system on the whole disk starts at byte 0: partclone can open the disk itself.
  const node = region.partition === null ? source.path : source.partitionPath(region.partition);
  if (program !== undefined && node !== null) {
    try {
      return { method: 'partclone', used: clip(await partcloneUsed(o.runner, program, node, region.offset, o.tmpDir)) };
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message.slice(0, 200)}`);
    }
  }
  if (EXT_TYPES.includes(sig.type)) {
    try {
      return { method: 'dumpe2fs', used: clip(await dumpe2fsUsed(o.runner, source.path, region.offset)) };
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message.slice(0, 200)}`);
    }
  }
  return { method: 'zero-scan', used: [] };
}

async function readTable(source: CaptureSource, runner: ToolRunner, problems: string[]): Promise<CapturedPartitionTable | null> {
  const run = await runner('sfdisk', ['--json', source.path], { timeoutMs: 60_000 });
  // No table sfdisk understands: the disk is taken as one region (a bare file system, or unknown).
  if (run.code !== 0 || run.stdout.trim() === '') return null;
  try {
    return parseSfdiskLayout(run.stdout, source.path);
  } catch (err) {
    problems.push(`${(err as Error).message.slice(0, 200)}: the disk is captured as one region`);
    return null;
  }
}

/** Data partitions (extended containers hold only EBRs, which the gap scan keeps), as byte regions. */
function regionsOf(table: CapturedPartitionTable | null, diskSize: number): Region[] {
  if (table === null) return [{ partition: null, offset: 0, size: diskSize }];
  return table.partitions
    .filter((p) => !(table.label === 'dos' && EXTENDED_TYPES.includes(p.type.toLowerCase())))
    .map((p) => ({ partition: p.number, offset: p.start * table.sectorSize, size: Math.min(p.size * table.sectorSize, Math.max(0, diskSize - p.start * table.sectorSize)) }))
    .filter((r) => r.size > 0);
}

/**
 * Areas always kept: the head of the disk, and for GPT everything after the last usable sector
 * (the backup entries and header: 33 sectors of 512 bytes with the usual 128 entries).
 */
function tableAreas(table: CapturedPartitionTable | null, diskSize: number): ByteRange[] {
  if (table === null) return [];
  const areas = [{ offset: 0, length: Math.min(HEAD_AREA_BYTES, diskSize) }];
  if (table.label === 'gpt') {
    const backupStart = table.lastLba !== null ? (table.lastLba + 1) * table.sectorSize : diskSize - GPT_BACKUP_BYTES;
    if (backupStart > 0 && backupStart < diskSize) areas.push({ offset: backupStart, length: diskSize - backupStart });
  }
  return areas;
}

/**
 * Decides which bytes of the disk a capture reads: per partition the file system's allocation
 * (partclone, dumpe2fs) or a zero scan; the partition table areas always; the gaps between
 * partitions (and an extended partition's EBRs) where they are not all zeros.
 */
export async function buildUsedMap(source: CaptureSource, o: UsedMapOptions): Promise<UsedMap> {
  const diskSize = source.sizeBytes;
  const problems: string[] = [];
  const table = await readTable(source, o.runner, problems);
  const used: ByteRange[] = [...tableAreas(table, diskSize)];
  const scan: ByteRange[] = [];
  const filesystems: CapturedFilesystem[] = [];
  const regions = regionsOf(table, diskSize);
  for (const region of regions) {
    const sig = await probeFilesystem(o.runner, source.path, region.offset, table === null ? 0 : region.size);
    const found = await mapFilesystem(source, region, sig, o, problems);
    if (found.method === 'zero-scan') scan.push({ offset: region.offset, length: region.size });
    used.push(...found.used);
    filesystems.push({ partition: region.partition, offset: region.offset, size: region.size, ...sig, method: found.method, usedBytes: total(found.used) });
  }
  const covered = mergeRanges(regions.map((r) => ({ offset: r.offset, length: r.size })));
  scan.push(...subtractRanges([{ offset: 0, length: diskSize }], covered));
  return { diskSize, table, filesystems, used: mergeRanges(used), scan: mergeRanges(scan), problems };
}
