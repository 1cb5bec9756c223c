import type { PartitionTableBytes } from '@rackcast/wire';

/** LBA 0 (MBR) + LBA 1 (GPT header) + 32 sectors of GPT entries (128 × 128 bytes). */
export const GPT_HEAD_BYTES = 34 * 512;
/** Backup GPT: 32 sectors of entries + the backup header in the last sector. */
export const GPT_TAIL_BYTES = 33 * 512;

/** True if `head` carries an MBR boot signature (plain MBR or GPT's protective MBR). */
export function hasMbrSignature(head: Uint8Array): boolean {
  return head[510] === 0x55 && head[511] === 0xaa;
}

/** True if LBA 1 holds a GPT header ("EFI PART"). */
export function hasGptHeader(head: Uint8Array): boolean {
  return Buffer.from(head.subarray(512, 520)).toString('latin1') === 'EFI PART';
}

/**
 * Picks the partition-table bytes the manifest keeps: the head of the disk when it has an
 * MBR or GPT, and the backup GPT at its end for GPT disks. `readTail` reads the last bytes
 * of the disk on demand. Disks without a partition table (a bare filesystem) keep none.
 */
export async function extractPartitionTable(head: Uint8Array, diskSize: number, readTail: (length: number) => Promise<Uint8Array>): Promise<PartitionTableBytes> {
  if (!hasMbrSignature(head) || diskSize < 512) return { head: new Uint8Array(0), tail: new Uint8Array(0) };
  const headBytes = new Uint8Array(head.subarray(0, Math.min(GPT_HEAD_BYTES, diskSize)));
  const gpt = hasGptHeader(head) && diskSize >= GPT_HEAD_BYTES + GPT_TAIL_BYTES;
  return { head: headBytes, tail: gpt ? await readTail(GPT_TAIL_BYTES) : new Uint8Array(0) };
}
