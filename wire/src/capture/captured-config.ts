/**
 * The configuration a capture records beside the blocks (DESIGN.md idea 5): what a restore to
 * this point in time needs to bring the machine back without asking a person. The agent reads
 * it from the disk it captures (unmounted) and from the preboot environment; the server stores
 * it in the version record. Unknown values are empty strings, null or [], never absent.
 */
import type { FirmwareMode } from '../profile/machine-profile.js';

/** Version of this schema; a captured configuration carries it in `schema`. */
export const CAPTURED_CONFIG_SCHEMA_VERSION = 1;

/** Bounds, so one capture cannot make the server store megabytes of configuration. */
export const CAPTURED_CONFIG_LIMITS = {
  partitions: 128,
  filesystems: 128,
  interfaces: 64,
  /** Addresses, gateways and DNS servers per interface, each. */
  addresses: 16,
  bootEntries: 64,
  /** Characters of a text field. */
  text: 256,
  /** Characters of a UEFI device path or a disk path. */
  path: 1024,
  problems: 32,
  problem: 300,
} as const;

/** How the used blocks of a file system were found (docs/capture-protocol.md). */
export type UsedBlockMethod =
  /** partclone's allocation bitmap (`partclone.<fs> --domain`). */
  | 'partclone'
  /** e2fsprogs' block bitmaps (`dumpe2fs`), for ext2/3/4 without a partition node of its own. */
  | 'dumpe2fs'
  /** Every block not all zeros: unknown file systems, swap, a journal that needs recovery. */
  | 'zero-scan';

/** Where an interface's settings came from in the captured system. */
export type NetworkSource = 'ifupdown' | 'systemd-networkd' | 'netplan';

/** The disk that was captured. */
export interface CapturedDisk {
  /** As the agent named it, e.g. "/dev/sda". */
  readonly path: string;
  readonly sizeBytes: number;
}

/** One partition as `sfdisk --json` lists it; sectors of the table's sector size. */
export interface CapturedPartition {
  /** 1-based, e.g. 2 for /dev/sda2. */
  readonly number: number;
  readonly start: number;
  readonly size: number;
  /** GPT type GUID or MBR type byte, e.g. "0FC63DAF-8483-4772-8E79-3D69D8477DE4" or "83". */
  readonly type: string;
  /** GPT partition UUID; "" for MBR. */
  readonly uuid: string;
  /** GPT partition name, e.g. "root"; "" when none. */
  readonly name: string;
  /** GPT attributes as sfdisk prints them, e.g. "LegacyBIOSBootable"; "" when none. */
  readonly attrs: string;
  /** MBR boot flag. */
  readonly bootable: boolean;
}

/** The partition layout (`sfdisk --json`). */
export interface CapturedPartitionTable {
  readonly label: 'gpt' | 'dos';
  /** Disk identifier: GPT disk GUID or MBR signature, e.g. "0x5d8b3e21". */
  readonly id: string;
  readonly sectorSize: number;
  /** GPT only: first and last usable sector; null for MBR. */
  readonly firstLba: number | null;
  readonly lastLba: number | null;
  readonly partitions: readonly CapturedPartition[];
}

/** One file system (or other signature blkid found) on the captured disk. */
export interface CapturedFilesystem {
  /** Partition number; null for a file system on the whole disk. */
  readonly partition: number | null;
  /** Byte offset on the disk and size in bytes. */
  readonly offset: number;
  readonly size: number;
  /** blkid TYPE, e.g. "ext4", "vfat", "swap"; "" when blkid knows none. */
  readonly type: string;
  readonly uuid: string;
  readonly label: string;
  readonly method: UsedBlockMethod;
  /** Bytes the method found in use, e.g. 29884416. */
  readonly usedBytes: number;
}

/** One network interface the captured system configures. */
export interface CapturedInterface {
  /** Interface name or the configuration's id for it, e.g. "eno1". */
  readonly name: string;
  /** MAC the configuration matches on, lowercase; "" when it matches by name. */
  readonly mac: string;
  readonly source: NetworkSource;
  readonly dhcp4: boolean;
  readonly dhcp6: boolean;
  /** Static addresses with prefix length, e.g. ["10.0.0.5/24"]. */
  readonly addresses: readonly string[];
  /** e.g. ["10.0.0.1"]. */
  readonly gateways: readonly string[];
  /** e.g. ["10.0.0.53"]. */
  readonly dns: readonly string[];
}

/** One UEFI boot entry (`efibootmgr -v`). */
export interface CapturedBootEntry {
  /** Four hex digits, e.g. "0003". */
  readonly number: string;
  readonly label: string;
  readonly active: boolean;
  /** UEFI device path, e.g. "HD(1,GPT,…)/File(\EFI\debian\shimx64.efi)"; "" when not printed. */
  readonly path: string;
}

/** The firmware's boot configuration (UEFI machines only). */
export interface CapturedBootEntries {
  /** e.g. "0003"; "" when not known. */
  readonly current: string;
  /** e.g. ["0003", "0001"]. */
  readonly order: readonly string[];
  readonly entries: readonly CapturedBootEntry[];
}

/** Everything a capture records about the machine besides its blocks and hardware profile. */
export interface CapturedConfig {
  readonly schema: typeof CAPTURED_CONFIG_SCHEMA_VERSION;
  /** When the agent began reading the disk (ISO 8601): the point in time the version is. */
  readonly capturedAt: string;
  /** From the root file system's /etc/hostname, e.g. "web-07"; "" when not found. */
  readonly hostname: string;
  readonly firmwareMode: FirmwareMode;
  readonly disk: CapturedDisk;
  /** null for a disk without a partition table sfdisk reads. */
  readonly partitionTable: CapturedPartitionTable | null;
  readonly filesystems: readonly CapturedFilesystem[];
  readonly interfaces: readonly CapturedInterface[];
  /** null on BIOS machines, or when efibootmgr could not be read. */
  readonly bootEntries: CapturedBootEntries | null;
  /** What could not be read, e.g. "efibootmgr -v failed: …". */
  readonly problems: readonly string[];
}
