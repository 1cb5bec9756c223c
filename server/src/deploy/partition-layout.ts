/**
 * Reads an image's partition table from the bytes its manifest keeps (the disk's head and, for
 * GPT, the backup at its end). Pure: bytes in, layout out. A table that cannot be read gives
 * `table: 'none'` and the reason, never an exception: the planner then keeps the layout as it is.
 */

const SECTOR = 512;

/** What a partition is for, from its type (GPT type GUID or MBR type byte). */
export type PartitionKind = 'esp' | 'linux' | 'linux-root' | 'swap' | 'lvm' | 'bios-boot' | 'extended' | 'other';

export interface ImagePartition {
  /** 1-based, as the kernel numbers it (GPT entry index + 1; MBR primary slot 1..4). */
  readonly number: number;
  readonly startBytes: number;
  readonly sizeBytes: number;
  readonly kind: PartitionKind;
  /** GPT type GUID in its usual text form, or the MBR type as "0x83". */
  readonly type: string;
  /** GPT partition name; '' for MBR. */
  readonly name: string;
}

export interface PartitionLayout {
  readonly table: 'gpt' | 'mbr' | 'none';
  readonly partitions: readonly ImagePartition[];
  /** Why the table is 'none' or incomplete, e.g. "MBR logical partitions are not listed". */
  readonly notes: readonly string[];
}

/** GPT type GUIDs (UEFI 2.10 §5.3.3 and the Discoverable Partitions Specification). */
const GPT_KINDS: Readonly<Record<string, PartitionKind>> = {
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B': 'esp',
  '0FC63DAF-8483-4772-8E79-3D69D8477DE4': 'linux',
  '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709': 'linux-root',
  'B921B045-1DF0-41C3-AF44-4C6F280D3FAE': 'linux-root',
  '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F': 'swap',
  'E6D6D379-F507-44C2-A23C-238F2A3DF928': 'lvm',
  '21686148-6449-6E6F-744E-656564454649': 'bios-boot',
};

/** MBR partition type bytes (the usual fdisk list). */
const MBR_KINDS: Readonly<Record<number, PartitionKind>> = { 0x83: 'linux', 0xef: 'esp', 0x82: 'swap', 0x8e: 'lvm', 0x05: 'extended', 0x0f: 'extended', 0x85: 'extended' };

/** A GUID as stored (first three fields little-endian) in its text form. */
function guidText(b: Uint8Array): string {
  const hex = (from: number, to: number, reverse: boolean): string => {
    const bytes = [...b.subarray(from, to)];
    return (reverse ? bytes.reverse() : bytes).map((x) => x.toString(16).padStart(2, '0')).join('');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`.toUpperCase();
}

function u32(b: Uint8Array, at: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);
}

function u64(b: Uint8Array, at: number): number {
  return Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true));
}

function utf16Name(b: Uint8Array): string {
  let name = '';
  for (let i = 0; i + 1 < b.byteLength; i += 2) {
    const c = (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
    if (c === 0) break;
    name += String.fromCharCode(c);
  }
  return name;
}

function isGptHeader(b: Uint8Array): boolean {
  return b.byteLength >= 92 && Buffer.from(b.subarray(0, 8)).toString('latin1') === 'EFI PART';
}

/** Parses the entries array of a GPT (128 bytes each by default). */
function gptEntries(entries: Uint8Array, count: number, size: number): ImagePartition[] {
  const partitions: ImagePartition[] = [];
  for (let i = 0; i < count && (i + 1) * size <= entries.byteLength; i++) {
    const e = entries.subarray(i * size, (i + 1) * size);
    if (e.subarray(0, 16).every((x) => x === 0)) continue;
    const first = u64(e, 32);
    const last = u64(e, 40);
    if (last < first) continue;
    const type = guidText(e.subarray(0, 16));
    partitions.push({ number: i + 1, startBytes: first * SECTOR, sizeBytes: (last - first + 1) * SECTOR, kind: GPT_KINDS[type] ?? 'other', type, name: utf16Name(e.subarray(56, 128)) });
  }
  return partitions;
}

/** The primary GPT from the head, else the backup from the tail (where the primary is damaged or its entries lie elsewhere). */
function readGpt(head: Uint8Array, tail: Uint8Array): PartitionLayout | null {
  const primary = head.subarray(SECTOR, 2 * SECTOR);
  const sane = (h: Uint8Array): boolean => u32(h, 80) > 0 && u32(h, 80) <= 1024 && u32(h, 84) >= 128 && u32(h, 84) <= 1024 && u32(h, 84) % 8 === 0;
  if (isGptHeader(primary) && sane(primary) && u64(primary, 72) === 2) {
    const count = u32(primary, 80);
    const size = u32(primary, 84);
    if (2 * SECTOR + count * size <= head.byteLength) return { table: 'gpt', partitions: gptEntries(head.subarray(2 * SECTOR), count, size), notes: [] };
  }
  const backup = tail.byteLength >= SECTOR ? tail.subarray(tail.byteLength - SECTOR) : new Uint8Array(0);
  if (isGptHeader(backup) && sane(backup)) {
    const count = u32(backup, 80);
    const size = u32(backup, 84);
    const entries = tail.subarray(0, tail.byteLength - SECTOR);
    if (count * size <= entries.byteLength) {
      return { table: 'gpt', partitions: gptEntries(entries.subarray(entries.byteLength - count * size), count, size), notes: ['the primary GPT is unreadable; the backup GPT was used'] };
    }
  }
  return null;
}

function readMbr(head: Uint8Array): PartitionLayout {
  const partitions: ImagePartition[] = [];
  const notes: string[] = [];
  for (let slot = 0; slot < 4; slot++) {
    const e = head.subarray(446 + slot * 16, 446 + (slot + 1) * 16);
    const typeByte = e[4] ?? 0;
    const start = u32(e, 8);
    const sectors = u32(e, 12);
    if (typeByte === 0 || sectors === 0) continue;
    const kind = MBR_KINDS[typeByte] ?? 'other';
    if (kind === 'extended') notes.push(`partition ${slot + 1} is an extended partition: its logical partitions are not listed and are never resized`);
    partitions.push({ number: slot + 1, startBytes: start * SECTOR, sizeBytes: sectors * SECTOR, kind, type: `0x${typeByte.toString(16).padStart(2, '0')}`, name: '' });
  }
  return { table: 'mbr', partitions, notes };
}

/** The layout of an image from its manifest's partition-table bytes. */
export function readPartitionLayout(head: Uint8Array, tail: Uint8Array): PartitionLayout {
  if (head.byteLength < SECTOR || head[510] !== 0x55 || head[511] !== 0xaa) {
    return { table: 'none', partitions: [], notes: ['the image has no partition table (a bare filesystem or an unknown layout)'] };
  }
  const protective = [0, 1, 2, 3].some((slot) => head[446 + slot * 16 + 4] === 0xee);
  if (protective || isGptHeader(head.subarray(SECTOR, 2 * SECTOR))) {
    const gpt = readGpt(head, tail);
    if (gpt !== null) return gpt;
    return { table: 'none', partitions: [], notes: ['the image has a protective MBR but no readable GPT'] };
  }
  return readMbr(head);
}
