/**
 * Recognises disk image containers by their magic bytes, and raw disks by what a disk or
 * filesystem leaves in its first sectors. qemu-img would call any file "raw", so a text file
 * or a photo would import as a "disk"; these checks refuse that with a clear error instead.
 */
export type ContainerFormat = 'qcow2' | 'vmdk' | 'vdi' | 'vhdx' | 'vpc';

interface Magic {
  readonly format: ContainerFormat;
  readonly offset: number;
  readonly bytes: Buffer;
}

const CONTAINER_MAGICS: readonly Magic[] = [
  { format: 'qcow2', offset: 0, bytes: Buffer.from([0x51, 0x46, 0x49, 0xfb]) }, // "QFI\xfb"
  { format: 'vmdk', offset: 0, bytes: Buffer.from('KDMV', 'latin1') }, // sparse extent
  { format: 'vmdk', offset: 0, bytes: Buffer.from('# Disk DescriptorFile', 'latin1') },
  { format: 'vdi', offset: 64, bytes: Buffer.from([0x7f, 0x10, 0xda, 0xbe]) },
  { format: 'vhdx', offset: 0, bytes: Buffer.from('vhdxfile', 'latin1') },
  { format: 'vpc', offset: 0, bytes: Buffer.from('conectix', 'latin1') }, // dynamic VHD
];

/** Bytes needed from the start of a file to run every check here. */
export const SNIFF_LENGTH = 0x10100;

/** The container format whose magic `head` starts with, or null for raw data. */
export function detectContainer(head: Buffer): ContainerFormat | null {
  for (const m of CONTAINER_MAGICS) {
    if (head.subarray(m.offset, m.offset + m.bytes.length).equals(m.bytes)) return m.format;
  }
  return null;
}

interface Signature {
  readonly what: string;
  readonly offset: number;
  readonly bytes: Buffer;
}

// Partition tables and filesystems a raw disk or partition image starts with.
const RAW_SIGNATURES: readonly Signature[] = [
  { what: 'MBR/boot sector', offset: 510, bytes: Buffer.from([0x55, 0xaa]) }, // also GPT protective MBR, FAT, NTFS
  { what: 'GPT', offset: 512, bytes: Buffer.from('EFI PART', 'latin1') },
  { what: 'GPT (4K sectors)', offset: 4096, bytes: Buffer.from('EFI PART', 'latin1') },
  { what: 'ext2/3/4', offset: 0x438, bytes: Buffer.from([0x53, 0xef]) },
  { what: 'XFS', offset: 0, bytes: Buffer.from('XFSB', 'latin1') },
  { what: 'btrfs', offset: 0x10040, bytes: Buffer.from('_BHRfS_M', 'latin1') },
  { what: 'LVM PV', offset: 512, bytes: Buffer.from('LABELONE', 'latin1') },
  { what: 'LUKS', offset: 0, bytes: Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]) },
  { what: 'ISO 9660', offset: 0x8001, bytes: Buffer.from('CD001', 'latin1') },
  { what: 'Linux swap', offset: 4086, bytes: Buffer.from('SWAPSPACE2', 'latin1') },
];

/** What kind of disk data `head` looks like, or null if it looks like no disk at all. */
export function recogniseRawDisk(head: Buffer): string | null {
  for (const s of RAW_SIGNATURES) {
    if (head.subarray(s.offset, s.offset + s.bytes.length).equals(s.bytes)) return s.what;
  }
  return null;
}
