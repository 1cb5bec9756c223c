import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { WireError, type WireErrorCode } from '../wire-error.js';
import { SEAL_TAG_LENGTH, SESSION_KEY_LENGTH, openBlock, sealBlock, sealBlockParts } from './block-seal.js';

/** Asserts that `fn` throws a WireError with exactly this code and field. */
function assertWireError(fn: () => unknown, code: WireErrorCode, field: string, what = ''): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WireError, `${what}: expected a WireError, got ${String(err)}`);
    assert.equal(err.code, code, `${what}: ${err.message}`);
    assert.equal(err.field, field, `${what}: ${err.message}`);
    return true;
  });
}

/** Deterministic bytes (a test must not depend on crypto.randomBytes). */
function bytesOf(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0, n = 0; at < length; n++) {
    const block = createHash('sha256').update(`${label}/${n}`).digest();
    out.set(block.subarray(0, Math.min(32, length - at)), at);
    at += 32;
  }
  return out;
}

const KEY = bytesOf('key', SESSION_KEY_LENGTH);
const OTHER_KEY = bytesOf('other key', SESSION_KEY_LENGTH);
const SESSION = 0x00c0ffee;
const BLOCK = 41;

/** Plain bytes of a Buffer, so deepStrictEqual compares contents only. */
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b);
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * An independent implementation of "Sealing (AES-256-GCM)" in docs/blockstream-protocol.md,
 * with the nonce and additional data written byte by byte from the doc.
 */
function docSeal(key: Uint8Array, sessionId: number, blockIndex: number, frame: Uint8Array): Uint8Array {
  const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  const nonce = Uint8Array.from([...be32(sessionId), ...be32(blockIndex), 0, 0, 0, 0]);
  const aad = Uint8Array.from([...Buffer.from('RCBS', 'ascii'), 1, ...be32(sessionId), ...be32(blockIndex), ...be32(frame.byteLength)]);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(frame), cipher.final()]);
  return plain(Buffer.concat([body, cipher.getAuthTag()]));
}

const FRAME_SIZES = [0, 1, 5, 300_000];

describe('sealBlock / openBlock round trips', () => {
  for (const size of FRAME_SIZES) {
    test(`frame of ${size} bytes`, () => {
      const frame = bytesOf(`frame ${size}`, size);
      const sealed = sealBlock(KEY, SESSION, BLOCK, frame);
      assert.equal(sealed.byteLength, size + SEAL_TAG_LENGTH, 'ciphertext is as long as the frame, plus the tag');
      assert.deepStrictEqual(plain(openBlock(KEY, SESSION, BLOCK, sealed)), frame);
      assert.deepStrictEqual(plain(sealed), docSeal(KEY, SESSION, BLOCK, frame), 'matches the documented nonce and additional data');
    });
  }

  test('session id and block index at their u32 extremes', () => {
    const frame = bytesOf('edge', 100);
    for (const [sessionId, blockIndex] of [[0, 0], [0xffffffff, 0xffffffff], [0xffffffff, 0], [0, 0xffffffff]] as const) {
      const sealed = sealBlock(KEY, sessionId, blockIndex, frame);
      assert.deepStrictEqual(plain(openBlock(KEY, sessionId, blockIndex, sealed)), frame);
      assert.deepStrictEqual(plain(sealed), docSeal(KEY, sessionId, blockIndex, frame));
    }
  });

  test('opens a sealed block held in a view with a non-zero byteOffset (reassembly buffer)', () => {
    const frame = bytesOf('view', 77);
    const sealed = sealBlock(KEY, SESSION, BLOCK, frame);
    const big = new Uint8Array(sealed.byteLength + 20);
    big.set(sealed, 11);
    assert.deepStrictEqual(plain(openBlock(KEY, SESSION, BLOCK, big.subarray(11, 11 + sealed.byteLength))), frame);
  });

  test('the opened frame does not alias the sealed bytes', () => {
    const frame = bytesOf('alias', 40);
    const sealed = sealBlock(KEY, SESSION, BLOCK, frame);
    const opened = openBlock(KEY, SESSION, BLOCK, sealed);
    sealed.fill(0);
    assert.deepStrictEqual(plain(opened), frame);
  });
});

describe('sealing is deterministic (the protocol re-sends the same ciphertext in later passes)', () => {
  for (const size of FRAME_SIZES) {
    test(`same key, session, block and frame → same bytes (${size}-byte frame)`, () => {
      const frame = bytesOf(`det ${size}`, size);
      const a = sealBlock(KEY, SESSION, BLOCK, frame);
      const b = sealBlock(Buffer.from(KEY), SESSION, BLOCK, frame.slice());
      assert.ok(a.equals(b));
    });
  }

  test('a different session, block or key gives a different ciphertext and tag', () => {
    const frame = bytesOf('diff', 64);
    const base = hex(sealBlock(KEY, SESSION, BLOCK, frame));
    const others = [sealBlock(KEY, SESSION + 1, BLOCK, frame), sealBlock(KEY, SESSION, BLOCK + 1, frame), sealBlock(OTHER_KEY, SESSION, BLOCK, frame)];
    for (const o of others) {
      assert.notEqual(hex(o.subarray(0, 64)), base.slice(0, 128), 'ciphertext differs');
      assert.notEqual(hex(o.subarray(64)), base.slice(128), 'tag differs');
    }
  });
});

describe('openBlock fails the tag check (RC_ERR_WIRE_CHECKSUM, tag)', () => {
  const frame = bytesOf('small', 5);
  const sealed = sealBlock(KEY, SESSION, BLOCK, frame);

  test('wrong key', () => assertWireError(() => openBlock(OTHER_KEY, SESSION, BLOCK, sealed), 'RC_ERR_WIRE_CHECKSUM', 'tag'));
  test('all-zero key', () => assertWireError(() => openBlock(new Uint8Array(32), SESSION, BLOCK, sealed), 'RC_ERR_WIRE_CHECKSUM', 'tag'));
  test('another session id', () => {
    for (const s of [SESSION + 1, SESSION - 1, 0, 0xffffffff, SESSION ^ 0x80000000]) {
      assertWireError(() => openBlock(KEY, s, BLOCK, sealed), 'RC_ERR_WIRE_CHECKSUM', 'tag', `session ${s}`);
    }
  });
  test('another block index', () => {
    for (const b of [BLOCK + 1, BLOCK - 1, 0, 0xffffffff, BLOCK + 2 ** 31]) {
      assertWireError(() => openBlock(KEY, SESSION, b, sealed), 'RC_ERR_WIRE_CHECKSUM', 'tag', `block ${b}`);
    }
  });
  test('another block\'s sealed bytes (mixed-up fragments)', () => {
    const other = sealBlock(KEY, SESSION, BLOCK + 1, frame);
    assertWireError(() => openBlock(KEY, SESSION, BLOCK, other), 'RC_ERR_WIRE_CHECKSUM', 'tag');
  });

  for (const size of [0, 5]) {
    test(`one flipped bit at every bit position of a ${size}-byte frame's sealed bytes`, () => {
      const s = sealBlock(KEY, SESSION, BLOCK, bytesOf('flip', size));
      let flipped = 0;
      for (let bit = 0; bit < s.byteLength * 8; bit++) {
        const damaged = Buffer.from(s);
        damaged[bit >> 3] = (damaged[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        assertWireError(() => openBlock(KEY, SESSION, BLOCK, damaged), 'RC_ERR_WIRE_CHECKSUM', 'tag', `bit ${bit}`);
        flipped++;
      }
      assert.equal(flipped, (size + SEAL_TAG_LENGTH) * 8);
    });
  }

  test('flipped bits spread over a 300000-byte frame\'s sealed bytes', () => {
    const s = sealBlock(KEY, SESSION, BLOCK, bytesOf('big', 300_000));
    for (const at of [0, 1, 4095, 150_000, 299_999, 300_000, 300_015]) {
      const damaged = Buffer.from(s);
      damaged[at] = (damaged[at] ?? 0) ^ 0x01;
      assertWireError(() => openBlock(KEY, SESSION, BLOCK, damaged), 'RC_ERR_WIRE_CHECKSUM', 'tag', `byte ${at}`);
    }
  });

  test('truncated sealed bytes, at every length from 16 up', () => {
    for (let length = SEAL_TAG_LENGTH; length < sealed.byteLength; length++) {
      assertWireError(() => openBlock(KEY, SESSION, BLOCK, sealed.subarray(0, length)), 'RC_ERR_WIRE_CHECKSUM', 'tag', `length ${length}`);
    }
    // Dropping bytes at the front instead (a lost first fragment) fails too.
    assertWireError(() => openBlock(KEY, SESSION, BLOCK, sealed.subarray(1)), 'RC_ERR_WIRE_CHECKSUM', 'tag', 'front');
  });

  test('an appended byte', () => {
    assertWireError(() => openBlock(KEY, SESSION, BLOCK, Buffer.concat([sealed, Buffer.from([0])])), 'RC_ERR_WIRE_CHECKSUM', 'tag');
  });

  test('all-zero sealed bytes of a plausible length', () => {
    assertWireError(() => openBlock(KEY, SESSION, BLOCK, new Uint8Array(SEAL_TAG_LENGTH)), 'RC_ERR_WIRE_CHECKSUM', 'tag');
    assertWireError(() => openBlock(KEY, SESSION, BLOCK, new Uint8Array(1000)), 'RC_ERR_WIRE_CHECKSUM', 'tag');
  });
});

describe('openBlock / sealBlock reject malformed arguments', () => {
  const sealed = sealBlock(KEY, SESSION, BLOCK, bytesOf('args', 10));

  for (const length of [0, 1, 16, 24, 31, 33, 64]) {
    test(`key of ${length} bytes → RC_ERR_WIRE_INVALID (key)`, () => {
      const key = bytesOf('short key', length);
      assertWireError(() => sealBlock(key, SESSION, BLOCK, new Uint8Array(3)), 'RC_ERR_WIRE_INVALID', 'key', 'seal');
      assertWireError(() => openBlock(key, SESSION, BLOCK, sealed), 'RC_ERR_WIRE_INVALID', 'key', 'open');
      assertWireError(() => openBlock(key, SESSION, BLOCK, new Uint8Array(3)), 'RC_ERR_WIRE_INVALID', 'key', 'the key is checked first');
    });
  }

  test('sealed bytes shorter than the 16-byte tag → RC_ERR_WIRE_TRUNCATED (sealed)', () => {
    assert.equal(SEAL_TAG_LENGTH, 16);
    for (let length = 0; length < SEAL_TAG_LENGTH; length++) {
      assertWireError(() => openBlock(KEY, SESSION, BLOCK, sealed.subarray(0, length)), 'RC_ERR_WIRE_TRUNCATED', 'sealed', `length ${length}`);
    }
  });
});

describe('sealBlockParts', () => {
  test('body ‖ tag is what sealBlock returns, and the body is as long as the frame', () => {
    for (const length of [0, 1, 1000, 65536]) {
      const frame = randomBytes(length);
      const parts = sealBlockParts(KEY, SESSION, BLOCK, frame);
      assert.equal(parts.body.byteLength, length);
      assert.equal(parts.tag.byteLength, SEAL_TAG_LENGTH);
      assert.ok(Buffer.concat([parts.body, parts.tag]).equals(sealBlock(KEY, SESSION, BLOCK, frame)));
      assert.ok(openBlock(KEY, SESSION, BLOCK, Buffer.concat([parts.body, parts.tag])).equals(frame));
    }
  });
});
