import type { FileHandle } from 'node:fs/promises';
import { blake3 } from '@napi-rs/blake-hash';
import type { BlockEntry, PartitionTableBytes } from '@rackcast/wire';
import { CaptureError } from './capture-error.js';
import type { PlannedBlock } from './block-plan.js';

/** The blocks a capture keeps, hashed, in disk order. */
export interface HashedDisk {
  readonly blocks: BlockEntry[];
  /** Bytes read from the source (kept and skipped blocks). */
  readonly bytesRead: number;
}

/** Reads in flight while the previous block is hashed: keeps the disk queue busy on one core. */
const READ_AHEAD = 4;

/** Reads `length` bytes at `offset`; a short read means the source shrank or failed. */
export async function readExactly(handle: FileHandle, offset: number, length: number, source: string): Promise<Buffer> {
  const data = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(data, done, length - done, offset + done);
    if (bytesRead === 0) throw new CaptureError('RC_ERR_CAPTURE_SOURCE', `${source}: short read at byte ${offset + done}; the disk is smaller than it claims or failing`);
    done += bytesRead;
  }
  return data;
}

function isZero(data: Buffer, zeros: Buffer): boolean {
  return data.equals(zeros.subarray(0, data.byteLength));
}

/** Content address of a block: BLAKE3-256 of its bytes, as the store computes it. */
export function hashBlock(data: Uint8Array): Uint8Array {
  return new Uint8Array(blake3(data));
}

/**
 * Reads the planned blocks in disk order and hashes those the capture keeps: every used block
 * (also an all-zero one: a file's zeros must be written on restore, the target disk may hold
 * other data there), and scanned blocks with a non-zero byte in their scanned parts.
 */
export async function hashDisk(handle: FileHandle, plan: Iterable<PlannedBlock>, blockSize: number, source: string, onBlock?: (offset: number) => void): Promise<HashedDisk> {
  const zeros = Buffer.alloc(blockSize);
  const blocks: BlockEntry[] = [];
  let bytesRead = 0;
  const queue: { block: PlannedBlock; data: Promise<Buffer> }[] = [];
  const iterator = plan[Symbol.iterator]();
  const fill = (): void => {
    while (queue.length < READ_AHEAD) {
      const next = iterator.next();
      if (next.done) return;
      const data = readExactly(handle, next.value.offset, next.value.length, source);
      // Observed here so that a failed read-ahead behind a failed block is not an unhandled rejection.
      data.catch(() => undefined);
      queue.push({ block: next.value, data });
    }
  };
  fill();
  while (queue.length > 0) {
    const { block, data: pending } = queue.shift() as (typeof queue)[number];
    const data = await pending;
    fill();
    bytesRead += data.byteLength;
    onBlock?.(block.offset);
    const keep = block.used || block.scan.some((r) => !isZero(data.subarray(r.offset, r.offset + r.length), zeros));
    if (keep) blocks.push({ index: blocks.length, offset: block.offset, length: block.length, hash: hashBlock(data) });
  }
  return { blocks, bytesRead };
}

/** LBA 0 (MBR) + LBA 1 (GPT header) + 32 sectors of GPT entries, and the backup GPT: as import keeps them. */
const GPT_HEAD_BYTES = 34 * 512;
const GPT_TAIL_BYTES = 33 * 512;

/**
 * The partition-table bytes a manifest carries beside its blocks, by the same rule as the
 * server's import (server/src/image/partition-table.ts): the head of the disk when it has an MBR
 * boot signature, and for GPT (an "EFI PART" header in LBA 1) the backup GPT at the end.
 */
export async function readPartitionTableBytes(handle: FileHandle, diskSize: number, source: string): Promise<PartitionTableBytes> {
  const none = { head: new Uint8Array(0), tail: new Uint8Array(0) };
  if (diskSize < 512) return none;
  const head = await readExactly(handle, 0, Math.min(GPT_HEAD_BYTES, diskSize), source);
  if (head[510] !== 0x55 || head[511] !== 0xaa) return none;
  const gpt = head.subarray(512, 520).toString('latin1') === 'EFI PART' && diskSize >= GPT_HEAD_BYTES + GPT_TAIL_BYTES;
  return { head: new Uint8Array(head), tail: gpt ? new Uint8Array(await readExactly(handle, diskSize - GPT_TAIL_BYTES, GPT_TAIL_BYTES, source)) : new Uint8Array(0) };
}
