import { GoldenImageError } from './golden-error.js';
import { MIB } from './options.js';

export const SECTOR_BYTES = 512;
const MIB_SECTORS = MIB / SECTOR_BYTES;
/** The backup GPT: 32 sectors of entries and its header, at the disk's end. */
const GPT_TAIL_SECTORS = 33;
export const ESP_BYTES = 64 * MIB;
/** Room for busybox, the NIC modules and the configuration, with margin. */
export const MIN_ROOT_BYTES = 32 * MIB;

/** GPT partition type GUIDs. */
export const TYPE_ESP = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
export const TYPE_LINUX_FS = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';

/**
 * Fixed identifiers, so that two builds give the same bytes. Every clone of the image shares
 * them until deploy personalisation changes what it must.
 */
export const GOLDEN_IDS = {
  diskGuid: '8E6C7A52-0B1D-4F3E-9A2C-5D4B3A291807',
  espPartUuid: '2F1A9C3E-6B5D-4A7E-8C9F-0E1D2C3B4A51',
  rootPartUuid: '7C3B1E5A-9D2F-4B6C-8E0A-1F2D3C4B5A69',
  rootFsUuid: '4D2C1B0A-8F7E-4D6C-9B5A-3E2F1A0B9C87',
  rootHashSeed: '1A2B3C4D-5E6F-4A1B-8C2D-3E4F5A6B7C8D',
} as const;
export const ROOT_LABEL = 'root';
export const ESP_LABEL = 'ESP';

/** A partition in 512-byte sectors. */
export interface PartitionExtent {
  readonly startSector: number;
  readonly sectors: number;
}

/** Where everything goes on the disk. */
export interface DiskLayout {
  readonly diskBytes: number;
  /** Partition 1: EFI System, FAT32, also the BIOS boot path. */
  readonly esp: PartitionExtent;
  /** Partition 2, the last: the ext4 root, up to the last whole MiB before the backup GPT. */
  readonly root: PartitionExtent;
}

/** ESP at 1 MiB, root right after it to the last whole MiB that leaves room for the backup GPT. */
export function planLayout(diskBytes: number, espBytes = ESP_BYTES): DiskLayout {
  const diskSectors = Math.floor(diskBytes / SECTOR_BYTES);
  const esp = { startSector: MIB_SECTORS, sectors: espBytes / SECTOR_BYTES };
  const rootStart = esp.startSector + esp.sectors;
  const lastUsable = diskSectors - GPT_TAIL_SECTORS - 1;
  const rootSectors = Math.floor((lastUsable + 1 - rootStart) / MIB_SECTORS) * MIB_SECTORS;
  if (rootSectors * SECTOR_BYTES < MIN_ROOT_BYTES) {
    const minMiB = (rootStart * SECTOR_BYTES + MIN_ROOT_BYTES) / MIB + 1;
    throw new GoldenImageError('RC_ERR_GOLDEN_TOO_SMALL', `a ${diskBytes / MIB} MiB disk leaves no room for the root file system: use --size ${minMiB}M or more`);
  }
  return { diskBytes, esp, root: { startSector: rootStart, sectors: rootSectors } };
}

/**
 * sfdisk's input for the layout. Partition 1 carries the legacy-BIOS-bootable attribute, which
 * syslinux's gptmbr.bin looks for to find the partition to boot.
 */
export function sfdiskScript(layout: DiskLayout): string {
  const { esp, root } = layout;
  return [
    'label: gpt',
    `label-id: ${GOLDEN_IDS.diskGuid}`,
    'unit: sectors',
    `first-lba: ${MIB_SECTORS}`,
    `1 : start=${esp.startSector}, size=${esp.sectors}, type=${TYPE_ESP}, uuid=${GOLDEN_IDS.espPartUuid}, name="EFI System", attrs="LegacyBIOSBootable"`,
    `2 : start=${root.startSector}, size=${root.sectors}, type=${TYPE_LINUX_FS}, uuid=${GOLDEN_IDS.rootPartUuid}, name="${ROOT_LABEL}"`,
    '',
  ].join('\n');
}

export const byteOffset = (p: PartitionExtent): number => p.startSector * SECTOR_BYTES;
export const byteLength = (p: PartitionExtent): number => p.sectors * SECTOR_BYTES;
