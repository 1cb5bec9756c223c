import { DiskError } from './disk-error.js';
import { runDiskTool } from './disk-tool.js';
import type { ToolRunner } from './run-tool.js';

/** One partition, in sectors of the table's sector size. */
export interface Partition {
  /** 1-based number as the kernel names it (sda2 → 2; logical MBR partitions from 5). */
  readonly number: number;
  readonly start: number;
  readonly size: number;
  /** GPT type GUID or MBR type byte as sfdisk prints it ("0FC63DAF-…", "83", "5"). */
  readonly type: string;
}

/** A partition table as sfdisk reads it. */
export interface PartitionTable {
  readonly label: 'gpt' | 'dos';
  readonly sectorSize: number;
  /** GPT only: the last sector partitions may use (the backup entries follow); null for MBR. */
  readonly lastLba: number | null;
  readonly partitions: readonly Partition[];
}

interface SfdiskJson {
  readonly partitiontable?: {
    readonly label?: unknown; readonly sectorsize?: unknown; readonly lastlba?: unknown;
    readonly partitions?: readonly { readonly node?: unknown; readonly start?: unknown; readonly size?: unknown; readonly type?: unknown }[];
  };
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The partition number from sfdisk's node name: "/dev/sda2" → 2, "/dev/nvme0n1p3" → 3, "disk.img1" → 1. */
export function partitionNumber(node: string, devicePath: string): number {
  const rest = node.startsWith(devicePath) ? node.slice(devicePath.length).replace(/^p/, '') : (/(\d+)$/.exec(node)?.[1] ?? '');
  return /^\d+$/.test(rest) ? Number(rest) : NaN;
}

/** `sfdisk --json` output → PartitionTable; throws RC_ERR_DISK_LAYOUT on anything unexpected. */
export function parseSfdiskJson(text: string, devicePath: string): PartitionTable {
  let json: SfdiskJson;
  try {
    json = JSON.parse(text) as SfdiskJson;
  } catch {
    throw new DiskError('RC_ERR_DISK_LAYOUT', `sfdisk --json ${devicePath} did not print JSON`);
  }
  const t = json.partitiontable;
  if (t === undefined || (t.label !== 'gpt' && t.label !== 'dos') || !isCount(t.sectorsize)) {
    throw new DiskError('RC_ERR_DISK_LAYOUT', `${devicePath} holds no GPT or MBR partition table sfdisk understands (label ${String(t?.label)})`);
  }
  const partitions = (t.partitions ?? []).map((p) => {
    const number = typeof p.node === 'string' ? partitionNumber(p.node, devicePath) : NaN;
    if (!Number.isSafeInteger(number) || !isCount(p.start) || !isCount(p.size)) {
      throw new DiskError('RC_ERR_DISK_LAYOUT', `sfdisk --json ${devicePath}: a partition entry without node, start or size`);
    }
    return { number, start: p.start, size: p.size, type: String(p.type ?? '') };
  });
  return { label: t.label, sectorSize: t.sectorsize, lastLba: t.label === 'gpt' && isCount(t.lastlba) ? t.lastlba : null, partitions };
}

/** Reads the table of a disk (or a file) with sfdisk. */
export async function readPartitionTable(runner: ToolRunner, devicePath: string, extraArgs: readonly string[] = []): Promise<PartitionTable> {
  const run = await runDiskTool(runner, 'sfdisk', [...extraArgs, '--json', devicePath]);
  return parseSfdiskJson(run.stdout, devicePath);
}

/** First sector after the partition. */
export const partitionEnd = (p: Partition): number => p.start + p.size;

/** MBR partition types of extended containers (DOS, Windows LBA, Linux). */
export const EXTENDED_TYPES: readonly string[] = ['5', 'f', '85'];
