import { open } from 'node:fs/promises';

/** What the agent needs to know of an ext2/3/4 file system, from its superblock. */
export interface Ext4Superblock {
  readonly blockSize: number;
  readonly blocks: number;
  /** The journal holds transactions not yet applied (an unclean shutdown): replay before editing. */
  readonly needsRecovery: boolean;
  /** s_state has the "cleanly unmounted" bit. */
  readonly clean: boolean;
  readonly label: string;
}

/** The superblock sits 1024 bytes into the file system and is 1024 bytes long (ext4 disk layout). */
export const SUPERBLOCK_OFFSET = 1024;
const SUPERBLOCK_BYTES = 1024;
const EXT_MAGIC = 0xef53;
const INCOMPAT_RECOVER = 0x4;
const INCOMPAT_64BIT = 0x80;

/**
 * Decodes an ext2/3/4 superblock (the 1024 bytes at offset 1024); null when the magic is not
 * there, i.e. the bytes are not an ext file system. Field offsets: ext4 disk layout, "The
 * Super Block" (s_blocks_count_lo 0x4, s_log_block_size 0x18, s_magic 0x38, s_state 0x3A,
 * s_feature_incompat 0x60, s_volume_name 0x78, s_blocks_count_hi 0x150).
 */
export function decodeExt4Superblock(bytes: Uint8Array): Ext4Superblock | null {
  if (bytes.length < SUPERBLOCK_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0x38, true) !== EXT_MAGIC) return null;
  const logBlockSize = view.getUint32(0x18, true);
  if (logBlockSize > 6) return null; // 64 KiB is the largest block size
  const incompat = view.getUint32(0x60, true);
  const hi = incompat & INCOMPAT_64BIT ? view.getUint32(0x150, true) : 0;
  const label = Buffer.from(bytes.subarray(0x78, 0x88)).toString('latin1').replace(/\0.*$/s, '');
  return {
    blockSize: 1024 << logBlockSize, blocks: hi * 2 ** 32 + view.getUint32(0x4, true),
    needsRecovery: (incompat & INCOMPAT_RECOVER) !== 0, clean: (view.getUint16(0x3a, true) & 1) === 1, label,
  };
}

/** Reads the superblock of the file system starting at `offset` bytes into `devicePath`; null if none. */
export async function readExt4Superblock(devicePath: string, offset: number): Promise<Ext4Superblock | null> {
  const handle = await open(devicePath, 'r');
  try {
    const buf = Buffer.alloc(SUPERBLOCK_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SUPERBLOCK_BYTES, offset + SUPERBLOCK_OFFSET);
    return decodeExt4Superblock(buf.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * The name e2fsprogs tools open to reach a file system `offset` bytes into a disk: unix_io's
 * "?offset=" option, so no partition node (udev, a table re-read) or loop device is needed.
 */
export function e2fsTarget(devicePath: string, offset: number): string {
  return offset === 0 ? devicePath : `${devicePath}?offset=${offset}`;
}
