import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNetascii, encodeNetascii } from './netascii.js';

const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('netascii (RFC 1350, RFC 764)', () => {
  test('LF becomes CR LF and a lone CR becomes CR NUL', () => {
    assert.deepEqual(encodeNetascii(bytes('a\nb\rc\r\n')), bytes('a\r\nb\r\0c\r\0\r\n'));
  });

  test('text without line ends is sent unchanged', () => {
    const plain = bytes('#!ipxe');
    assert.equal(encodeNetascii(plain), plain);
  });

  test('decoding undoes encoding for 2,000 random byte strings rich in CR, LF and NUL', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
    for (let n = 0; n < 2000; n++) {
      const input = Uint8Array.from({ length: next() % 64 }, () => [0x0d, 0x0a, 0, 0x41][next() % 4] as number);
      assert.deepEqual(decodeNetascii(encodeNetascii(input)), input);
    }
  });

  test('a stray CR (no LF or NUL after it) is kept', () => {
    assert.deepEqual(decodeNetascii(bytes('a\rb\r')), bytes('a\rb\r'));
  });
});
