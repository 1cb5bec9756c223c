import { parseMachineProfile, type Manifest } from '@rackcast/wire';
import type { ImageStore, VersionRecord } from '../store/index.js';
import { readPartitionLayout, type ImagePartition } from './partition-layout.js';

/** A filesystem found at a partition's start. */
export type FilesystemKind = 'ext4' | 'ext2/3' | 'unknown';

export interface FactPartition extends ImagePartition {
  readonly filesystem: FilesystemKind;
  /** Volume label ('' when none or unknown), e.g. "root". */
  readonly label: string;
}

/** What the planner knows of an image version: its size, what it uses, and its layout. */
export interface ImageFacts {
  readonly name: string;
  readonly version: number;
  readonly diskBytes: number;
  /** End of the last used block: the least a target must hold. */
  readonly usedEndBytes: number;
  readonly table: 'gpt' | 'mbr' | 'none';
  readonly partitions: readonly FactPartition[];
  /** Firmware of the machine the image came from (its source profile), when known. */
  readonly sourceFirmware: 'uefi' | 'bios' | 'unknown';
  /** What could not be read, for the technician. */
  readonly notes: readonly string[];
}

/** The ext2/3/4 superblock sits 1024 bytes into the filesystem (Linux fs/ext4/ext4.h, struct ext4_super_block). */
const SUPERBLOCK_OFFSET = 1024;
const SUPERBLOCK_BYTES = 1024;
const EXT_MAGIC = 0xef53;
/** s_feature_incompat bits that only ext4 sets: extents (0x40), 64bit (0x80), flex_bg (0x200). */
const EXT4_INCOMPAT = 0x40 | 0x80 | 0x200;

/** Recognises ext2/3/4 from its superblock bytes (the 1024 bytes at the filesystem's offset 1024). Pure. */
export function readExtSuperblock(sb: Uint8Array): { filesystem: FilesystemKind; label: string } {
  if (sb.byteLength < 136) return { filesystem: 'unknown', label: '' };
  const view = new DataView(sb.buffer, sb.byteOffset, sb.byteLength);
  if (view.getUint16(56, true) !== EXT_MAGIC) return { filesystem: 'unknown', label: '' };
  const label = Buffer.from(sb.subarray(120, 136)).toString('utf8').replace(/\0.*$/s, '');
  return { filesystem: (view.getUint32(96, true) & EXT4_INCOMPAT) !== 0 ? 'ext4' : 'ext2/3', label };
}

/** End of the last used block. */
export function usedEnd(manifest: Manifest): number {
  return manifest.blocks.reduce((end, b) => Math.max(end, b.offset + b.length), 0);
}

const SECTOR = 512;
/** Backup GPT: 32 sectors of entries (128 × 128 bytes) and the header, at the disk's end (UEFI 2.10 §5.3.2). */
const GPT_BACKUP_SECTORS = 33;

/**
 * The byte range of a GPT image's backup table (entries + header). From the primary header's
 * AlternateLBA and entry count/size when they are sane, else the disk's last 33 sectors.
 */
export function gptBackupRange(head: Uint8Array, diskBytes: number): { start: number; end: number } {
  const fallback = { start: Math.max(0, diskBytes - GPT_BACKUP_SECTORS * SECTOR), end: diskBytes };
  const header = head.subarray(SECTOR, 2 * SECTOR);
  if (header.byteLength < 92 || Buffer.from(header.subarray(0, 8)).toString('latin1') !== 'EFI PART') return fallback;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const alternate = Number(view.getBigUint64(32, true));
  const entriesBytes = view.getUint32(80, true) * view.getUint32(84, true);
  const end = (alternate + 1) * SECTOR;
  if (alternate < 2 || end > diskBytes || entriesBytes === 0 || entriesBytes > 1024 * 1024) return fallback;
  const start = end - SECTOR - Math.ceil(entriesBytes / SECTOR) * SECTOR;
  return { start: Math.max(0, Math.min(start, fallback.start)), end: Math.max(end, fallback.end) };
}

/**
 * The least a target must hold: the end of the last used block, where a GPT image's block that
 * holds nothing but zeros and the backup GPT does not count. That block always ends the disk;
 * counting it would make the used end the disk's size and refuse every smaller target, while the
 * fit step rebuilds the backup at the target's own end anyway.
 */
export async function usedEndOf(store: Pick<ImageStore, 'readBlock'>, manifest: Manifest, table: 'gpt' | 'mbr' | 'none'): Promise<number> {
  if (table !== 'gpt') return usedEnd(manifest);
  const backup = gptBackupRange(manifest.partitionTable.head, manifest.diskSize);
  let end = 0;
  for (const b of manifest.blocks) {
    if (b.offset + b.length <= end) continue;
    if (b.offset + b.length > backup.start && (await onlyBackupGpt(store, b, backup))) continue;
    end = b.offset + b.length;
  }
  return end;
}

/** True if the block's bytes outside the backup GPT range are all zero. */
async function onlyBackupGpt(store: Pick<ImageStore, 'readBlock'>, block: Manifest['blocks'][number], backup: { start: number; end: number }): Promise<boolean> {
  const data = await store.readBlock(block.hash);
  const from = Math.max(0, backup.start - block.offset);
  const to = Math.max(from, Math.min(data.byteLength, backup.end - block.offset));
  const zero = (bytes: Uint8Array): boolean => bytes.every((x) => x === 0);
  return zero(data.subarray(0, from)) && zero(data.subarray(to));
}

/** Bytes [offset, offset+length) of the version's disk, read through the store (zeros where no block is). */
export async function readImageBytes(store: ImageStore, manifest: Manifest, offset: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  for (const block of manifest.blocks) {
    if (block.offset >= offset + length || block.offset + block.length <= offset) continue;
    const data = await store.readBlock(block.hash);
    const from = Math.max(offset, block.offset);
    const to = Math.min(offset + length, block.offset + block.length);
    out.set(data.subarray(from - block.offset, to - block.offset), from - offset);
  }
  return out;
}

/** The source profile's firmware mode; an image imported from a file has no profile. */
function sourceFirmware(profile: VersionRecord['profile']): ImageFacts['sourceFirmware'] {
  try {
    return parseMachineProfile(profile).firmware.mode;
  } catch {
    return 'unknown';
  }
}

/** Reads the facts of a version: layout from the manifest's partition-table bytes, filesystems from their superblocks. */
export async function readImageFacts(store: ImageStore, version: VersionRecord): Promise<ImageFacts> {
  const manifest = await store.readManifest(version);
  const layout = readPartitionLayout(manifest.partitionTable.head, manifest.partitionTable.tail);
  const partitions: FactPartition[] = [];
  for (const p of layout.partitions) {
    const fs = p.kind === 'extended' || p.sizeBytes < SUPERBLOCK_OFFSET + SUPERBLOCK_BYTES
      ? { filesystem: 'unknown' as const, label: '' }
      : readExtSuperblock(await readImageBytes(store, manifest, p.startBytes + SUPERBLOCK_OFFSET, SUPERBLOCK_BYTES));
    partitions.push({ ...p, ...fs });
  }
  return {
    name: version.image, version: version.version, diskBytes: manifest.diskSize, usedEndBytes: await usedEndOf(store, manifest, layout.table),
    table: layout.table, partitions, notes: layout.notes, sourceFirmware: sourceFirmware(version.profile),
  };
}
