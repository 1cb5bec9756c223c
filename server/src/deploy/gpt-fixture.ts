/**
 * Builds GPT bytes for tests (this folder's only): a protective MBR, the primary header and
 * entries (34 sectors), and the backup entries and header (33 sectors). No CRCs: the planner's
 * reader does not check them (the agent's disk library does, on the real disk).
 */

export const ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
export const LINUX_TYPE = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';

export interface FixturePartition {
  readonly type: string;
  /** First and last sector, inclusive. */
  readonly first: number;
  readonly last: number;
  readonly name: string;
}

function guidBytes(text: string): Buffer {
  const b = Buffer.from(text.replaceAll('-', ''), 'hex');
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

function header(entriesLba: number): Buffer {
  const h = Buffer.alloc(512);
  h.write('EFI PART', 0, 'latin1');
  h.writeUInt32LE(92, 12);
  h.writeBigUInt64LE(BigInt(entriesLba), 72);
  h.writeUInt32LE(128, 80);
  h.writeUInt32LE(128, 84);
  return h;
}

export function gptBytes(diskSectors: number, parts: readonly FixturePartition[]): { head: Buffer; tail: Buffer } {
  const entries = Buffer.alloc(128 * 128);
  parts.forEach((p, i) => {
    const e = entries.subarray(i * 128);
    guidBytes(p.type).copy(e, 0);
    e.writeBigUInt64LE(BigInt(p.first), 32);
    e.writeBigUInt64LE(BigInt(p.last), 40);
    e.write(p.name, 56, 'utf16le');
  });
  const mbr = Buffer.alloc(512);
  mbr[446 + 4] = 0xee;
  mbr.writeUInt32LE(1, 446 + 8);
  mbr.writeUInt32LE(diskSectors - 1, 446 + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  return { head: Buffer.concat([mbr, header(2), entries]), tail: Buffer.concat([entries, header(diskSectors - 33)]) };
}

/** An ext4 superblock (the 1024 bytes at the filesystem's offset 1024) with a label. */
export function ext4Superblock(label: string): Buffer {
  const sb = Buffer.alloc(1024);
  sb.writeUInt16LE(0xef53, 56);
  sb.writeUInt32LE(0x2c2, 96); // filetype, extents, 64bit, flex_bg: as mkfs.ext4 sets them
  sb.write(label, 120, 'utf8');
  return sb;
}
