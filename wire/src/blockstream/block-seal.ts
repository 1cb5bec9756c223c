import { createCipheriv, createDecipheriv } from 'node:crypto';
import { BLOCKSTREAM_MAGIC, BLOCKSTREAM_VERSION } from './datagram.js';
import { WireError } from '../wire-error.js';

export const SESSION_KEY_LENGTH = 32;
export const SEAL_TAG_LENGTH = 16;

/**
 * nonce = session id ‖ block index ‖ 0. A block is always sealed from the same frame, so a
 * repeat in a later pass repeats the same ciphertext: no nonce ever covers two plaintexts.
 */
function nonceFor(sessionId: number, blockIndex: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(sessionId >>> 0, 0);
  nonce.writeUInt32BE(blockIndex >>> 0, 4);
  return nonce;
}

/** Additional data: binds the ciphertext to this protocol, session, block and length. */
function aadFor(sessionId: number, blockIndex: number, frameLength: number): Buffer {
  const aad = Buffer.alloc(17);
  aad.writeUInt32BE(BLOCKSTREAM_MAGIC, 0);
  aad.writeUInt8(BLOCKSTREAM_VERSION, 4);
  aad.writeUInt32BE(sessionId >>> 0, 5);
  aad.writeUInt32BE(blockIndex >>> 0, 9);
  aad.writeUInt32BE(frameLength >>> 0, 13);
  return aad;
}

function checkKey(key: Uint8Array): void {
  if (key.byteLength !== SESSION_KEY_LENGTH) throw new WireError('RC_ERR_WIRE_INVALID', 'key', `session key must be ${SESSION_KEY_LENGTH} bytes`);
}

/** A sealed block as its two parts; on the wire it is body ‖ tag. */
export interface SealedParts {
  /** The AES-256-GCM ciphertext, as long as the frame. */
  readonly body: Buffer;
  /** The 16-byte tag. */
  readonly tag: Buffer;
}

/**
 * Seals a block frame with AES-256-GCM, as its parts: a sender that writes datagrams from
 * views of the two needs no third, joined copy of every block.
 */
export function sealBlockParts(key: Uint8Array, sessionId: number, blockIndex: number, frame: Uint8Array): SealedParts {
  checkKey(key);
  const cipher = createCipheriv('aes-256-gcm', key, nonceFor(sessionId, blockIndex));
  cipher.setAAD(aadFor(sessionId, blockIndex, frame.byteLength));
  const body = cipher.update(frame);
  // GCM is a stream mode: final() returns no bytes; it only computes the tag.
  const final = cipher.final();
  return { body: final.byteLength === 0 ? body : Buffer.concat([body, final]), tag: cipher.getAuthTag() };
}

/** Seals a block frame with AES-256-GCM: ciphertext ‖ 16-byte tag. */
export function sealBlock(key: Uint8Array, sessionId: number, blockIndex: number, frame: Uint8Array): Buffer {
  const { body, tag } = sealBlockParts(key, sessionId, blockIndex, frame);
  return Buffer.concat([body, tag]);
}

/**
 * Opens a sealed block; throws WireError RC_ERR_WIRE_CHECKSUM (field "tag") when the tag does
 * not verify: wrong key, forged or mixed-up fragments, another session's block.
 */
export function openBlock(key: Uint8Array, sessionId: number, blockIndex: number, sealed: Uint8Array): Buffer {
  checkKey(key);
  if (sealed.byteLength < SEAL_TAG_LENGTH) throw new WireError('RC_ERR_WIRE_TRUNCATED', 'sealed', 'shorter than the tag');
  const frameLength = sealed.byteLength - SEAL_TAG_LENGTH;
  const decipher = createDecipheriv('aes-256-gcm', key, nonceFor(sessionId, blockIndex));
  decipher.setAAD(aadFor(sessionId, blockIndex, frameLength));
  decipher.setAuthTag(sealed.subarray(frameLength));
  const body = decipher.update(sealed.subarray(0, frameLength));
  try {
    // GCM is a stream mode: final() only checks the tag and returns no bytes, so the body is
    // handed on as it is (no second 256 KiB copy per block).
    const tail = decipher.final();
    return tail.byteLength === 0 ? body : Buffer.concat([body, tail]);
  } catch {
    throw new WireError('RC_ERR_WIRE_CHECKSUM', 'tag', `block ${blockIndex} failed authentication`);
  }
}
