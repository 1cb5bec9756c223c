import { ByteReader } from '../byte-reader.js';
import { WireError } from '../wire-error.js';

/**
 * How a block's bytes are kept at rest and sent in the block stream. The frame is the same in
 * the store's block files and in the multicast payload, so the sender never recompresses.
 *
 *   0  1  encoding (0 = raw, 1 = LZ4 block)
 *   1  4  raw length (uncompressed bytes, big-endian)
 *   5  …  payload: the raw bytes, or for LZ4 the lz4_flex "size-prepended" block
 *          (4-byte little-endian length, then an LZ4 block), as lz4-napi writes it
 *
 * NOTE: the LZ4 payload repeats the length in its own little-endian prefix. Decoders check
 * that both agree before decompressing: lz4-napi allocates whatever the prefix says (a forged
 * 0xFFFFFFF0 took 9 s to fail), so a lying prefix must be refused first.
 */
export const BlockEncoding = {
  Raw: 0,
  Lz4: 1,
} as const;
export type BlockEncodingId = (typeof BlockEncoding)[keyof typeof BlockEncoding];

export const BLOCK_FRAME_HEADER_LENGTH = 5;

export interface BlockFrame {
  readonly encoding: BlockEncodingId;
  /** Uncompressed length in bytes. */
  readonly rawLength: number;
  /** Raw bytes, or an lz4_flex size-prepended block. */
  readonly payload: Uint8Array;
}

/** Encodes a frame header and payload into one buffer. */
export function encodeBlockFrame(frame: BlockFrame): Uint8Array {
  checkFrame(frame);
  const out = new Uint8Array(BLOCK_FRAME_HEADER_LENGTH + frame.payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, frame.encoding);
  view.setUint32(1, frame.rawLength);
  out.set(frame.payload, BLOCK_FRAME_HEADER_LENGTH);
  return out;
}

/**
 * Decodes a frame; the payload is a view into `bytes`. `maxRawLength` bounds the declared
 * size (the manifest's block length, or the block size), so nothing large is allocated for
 * a lying header.
 */
export function decodeBlockFrame(bytes: Uint8Array, maxRawLength: number): BlockFrame {
  const r = new ByteReader(bytes);
  const encoding = r.u8('encoding');
  if (encoding !== BlockEncoding.Raw && encoding !== BlockEncoding.Lz4) {
    throw new WireError('RC_ERR_WIRE_INVALID', 'encoding', `unknown block encoding ${encoding}`);
  }
  const rawLength = r.u32('rawLength');
  if (rawLength > maxRawLength) throw new WireError('RC_ERR_WIRE_INVALID', 'rawLength', `raw length ${rawLength} exceeds ${maxRawLength}`);
  const frame = { encoding, rawLength, payload: r.bytes(r.remaining, 'payload') } as const;
  checkFrame(frame);
  return frame;
}

function checkFrame(frame: BlockFrame): void {
  if (frame.encoding === BlockEncoding.Raw) {
    if (frame.payload.byteLength !== frame.rawLength) {
      throw new WireError('RC_ERR_WIRE_INVALID', 'payload', `raw payload is ${frame.payload.byteLength} bytes, header says ${frame.rawLength}`);
    }
    return;
  }
  if (frame.payload.byteLength < 4) throw new WireError('RC_ERR_WIRE_TRUNCATED', 'payload', 'LZ4 payload shorter than its length prefix');
  const prefix = new DataView(frame.payload.buffer, frame.payload.byteOffset, 4).getUint32(0, true);
  if (prefix !== frame.rawLength) {
    throw new WireError('RC_ERR_WIRE_INVALID', 'payload', `LZ4 length prefix ${prefix} disagrees with raw length ${frame.rawLength}`);
  }
}
