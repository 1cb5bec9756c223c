import { blake3 } from '@napi-rs/blake-hash';
import { compress, uncompressSync } from 'lz4-napi';
import { BlockEncoding, decodeBlockFrame, encodeBlockFrame, equalBytes, isWireError, MAX_BLOCK_SIZE } from '@rackcast/wire';
import { RackcastError } from '../errors.js';

/**
 * Content address of a block: BLAKE3-256 of its uncompressed bytes. Chosen over SHA-256 by
 * measurement (docs/store.md): collision-resistant, so a captured machine cannot poison
 * dedup, and several times faster on these CPUs.
 */
export function hashBlock(raw: Uint8Array): Uint8Array {
  return blake3(raw);
}

/**
 * Compresses a block with LZ4 into a block frame. Blocks that do not shrink are kept raw so
 * incompressible data (already-compressed files, encrypted volumes) never grows.
 */
export async function compressBlock(raw: Buffer): Promise<Uint8Array> {
  const lz4 = await compress(raw);
  if (lz4.byteLength >= raw.byteLength) {
    return encodeBlockFrame({ encoding: BlockEncoding.Raw, rawLength: raw.byteLength, payload: raw });
  }
  return encodeBlockFrame({ encoding: BlockEncoding.Lz4, rawLength: raw.byteLength, payload: lz4 });
}

/**
 * Decodes a block frame and checks the result against its content address. A frame that
 * does not decode, or decodes to other bytes, is RC_ERR_STORE_BLOCK_DAMAGED: a damaged block
 * is never handed on silently.
 */
export async function decompressBlock(frame: Uint8Array, hash: Uint8Array, hex: string): Promise<Buffer> {
  let raw: Buffer;
  try {
    const decoded = decodeBlockFrame(frame, MAX_BLOCK_SIZE);
    raw = decoded.encoding === BlockEncoding.Raw
      ? Buffer.from(decoded.payload.buffer, decoded.payload.byteOffset, decoded.payload.byteLength)
      // On this thread on purpose: lz4-napi's allocator (mimalloc) keeps a heap per libuv pool
      // thread, and async decompression while streaming held ~100 MB more RSS in the server
      // (311 MB against 202 MB for a 1 GiB session) for no gain in time.
      : uncompressSync(decoded.payload);
    if (raw.byteLength !== decoded.rawLength) throw new Error(`decompressed to ${raw.byteLength} bytes, expected ${decoded.rawLength}`);
  } catch (err) {
    const why = isWireError(err) || err instanceof Error ? err.message : String(err);
    throw new RackcastError('RC_ERR_STORE_BLOCK_DAMAGED', `block ${hex} is damaged: ${why}`, { block: hex }, { cause: err });
  }
  if (!equalBytes(hashBlock(raw), hash)) {
    throw new RackcastError('RC_ERR_STORE_BLOCK_DAMAGED', `block ${hex} is damaged: its content no longer matches its hash`, { block: hex });
  }
  return raw;
}
