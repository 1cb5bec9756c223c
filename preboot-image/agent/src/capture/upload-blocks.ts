import type { FileHandle } from 'node:fs/promises';
import { compress } from 'lz4-napi';
import { BlockEncoding, encodeBlockFrame, equalBytes } from '@rackcast/wire';
import { CaptureError } from './capture-error.js';
import type { CaptureLink } from './capture-link.js';
import { hashBlock, readExactly } from './hash-disk.js';

/** A block the server asked for: where it is on the source and what it must hash to. */
export interface BlockToUpload {
  readonly offset: number;
  readonly length: number;
  readonly hash: Uint8Array;
}

export interface UploadStats {
  readonly blocks: number;
  /** Frame bytes sent (after LZ4). */
  readonly frameBytes: number;
  /** Block bytes before compression. */
  readonly rawBytes: number;
}

/**
 * A block frame as the store keeps it (wire/src/block/block-frame.ts): LZ4, or raw when LZ4
 * does not shrink it. The server stores the frame as it arrives, without recompressing.
 */
export async function frameBlock(raw: Buffer): Promise<Uint8Array> {
  const lz4 = await compress(raw);
  if (lz4.byteLength >= raw.byteLength) return encodeBlockFrame({ encoding: BlockEncoding.Raw, rawLength: raw.byteLength, payload: raw });
  return encodeBlockFrame({ encoding: BlockEncoding.Lz4, rawLength: raw.byteLength, payload: lz4 });
}

/**
 * Reads each block again from the source, checks it still has the hash that was offered,
 * compresses and uploads it, with at most `concurrency` uploads in flight. The second read is
 * the price of offering hashes first: memory stays bounded by the in-flight blocks whatever
 * the disk size. A block whose content changed since it was hashed stops the capture.
 */
export async function uploadBlocks(link: CaptureLink, handle: FileHandle, source: string, blocks: readonly BlockToUpload[], concurrency: number, onDone?: (done: number, rawBytes: number) => void): Promise<UploadStats> {
  let next = 0;
  let done = 0;
  let frameBytes = 0;
  let rawBytes = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < blocks.length && !failed) {
      const block = blocks[next++] as BlockToUpload;
      const raw = await readExactly(handle, block.offset, block.length, source);
      if (!equalBytes(hashBlock(raw), block.hash)) {
        throw new CaptureError('RC_ERR_CAPTURE_CHANGED', `${source} changed at byte ${block.offset} while it was being captured; capture from the preboot image, where nothing mounts the disk`);
      }
      const frame = await frameBlock(raw);
      await link.upload(Buffer.from(block.hash).toString('hex'), frame);
      frameBytes += frame.byteLength;
      rawBytes += raw.byteLength;
      onDone?.(++done, rawBytes);
    }
  };
  // allSettled first: no worker is left running unobserved when another fails.
  const guarded = (): Promise<void> => worker().catch((err: unknown) => { failed = true; throw err; });
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(concurrency, blocks.length)) }, guarded));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return { blocks: done, frameBytes, rawBytes };
}
