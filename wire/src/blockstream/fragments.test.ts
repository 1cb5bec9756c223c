import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WireError, type WireErrorCode } from '../wire-error.js';
import { DATA_HEADER_LENGTH, DEFAULT_DATAGRAM_SIZE, DatagramType, decodeDatagram, encodeDatagram } from './datagram.js';
import { MAX_FRAGMENT_COUNT, fragmentCountFor, fragmentRange, fragmentSizeFor } from './fragments.js';

/** Asserts that `fn` throws a WireError with exactly this code and field. */
function assertWireError(fn: () => unknown, code: WireErrorCode, field: string, what = ''): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WireError, `${what}: expected a WireError, got ${String(err)}`);
    assert.equal(err.code, code, `${what}: ${err.message}`);
    assert.equal(err.field, field, `${what}: ${err.message}`);
    return true;
  });
}

describe('fragmentSizeFor', () => {
  test('datagram size − 36: default 1472 → 1436, jumbo 8972 → 8936', () => {
    assert.equal(fragmentSizeFor(DEFAULT_DATAGRAM_SIZE), 1436);
    assert.equal(fragmentSizeFor(1472), 1472 - DATA_HEADER_LENGTH);
    assert.equal(fragmentSizeFor(8972), 8936);
  });

  test('bounds: 100 (64-byte fragments) .. 65507 (largest IPv4 UDP payload), inclusive', () => {
    assert.equal(fragmentSizeFor(100), 64);
    assert.equal(fragmentSizeFor(101), 65);
    assert.equal(fragmentSizeFor(65507), 65471);
    assert.ok(fragmentSizeFor(65507) <= 0xffff, 'the largest fragment size still fits ANNOUNCE\'s u16 field');
  });

  const rejected: number[] = [99, 36, 35, 0, -1, -1472, 65508, 65536, 2 ** 32, 1472.5, 100.000001, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const size of rejected) {
    test(`${size} → RC_ERR_WIRE_INVALID (datagramSize)`, () => assertWireError(() => fragmentSizeFor(size), 'RC_ERR_WIRE_INVALID', 'datagramSize'));
  }
});

describe('fragmentCountFor / fragmentRange', () => {
  test('examples', () => {
    assert.equal(fragmentCountFor(1, 1436), 1);
    assert.equal(fragmentCountFor(1436, 1436), 1);
    assert.equal(fragmentCountFor(1437, 1436), 2);
    assert.equal(fragmentCountFor(2 * 1436, 1436), 2);
    assert.deepStrictEqual(fragmentRange(0, 1437, 1436), [0, 1436]);
    assert.deepStrictEqual(fragmentRange(1, 1437, 1436), [1436, 1437]);
    assert.deepStrictEqual(fragmentRange(0, 5, 1436), [0, 5]);
  });

  test('property: for sealed lengths 1..5000 the fragments cover every byte exactly once, in order', () => {
    const sizes = [1, 3, 7, 8, 64, 100, 1000, 1436, 4999, 5000, 5001, 8936, 65471];
    let checked = 0;
    for (const size of sizes) {
      // cover[i] counts how many fragments contain byte i, through a difference array.
      const diff = new Int32Array(5001 + 1);
      for (let sealed = 1; sealed <= 5000; sealed++) {
        const count = fragmentCountFor(sealed, size);
        assert.ok(Number.isInteger(count) && count >= 1, `size ${size}, sealed ${sealed}: count ${count}`);
        assert.equal(count, Math.ceil(sealed / size));
        diff.fill(0, 0, sealed + 1);
        let expectedStart = 0;
        for (let i = 0; i < count; i++) {
          const [start, end] = fragmentRange(i, sealed, size);
          const what = `size ${size}, sealed ${sealed}, fragment ${i} of ${count}: [${start}, ${end})`;
          if (start !== expectedStart || !(end > start) || end > sealed) assert.fail(`${what}: not contiguous or out of bounds`);
          // All but the last fragment are exactly `size` bytes; the last holds the remainder.
          if (i < count - 1 && end - start !== size) assert.fail(`${what}: not a full fragment`);
          if (i === count - 1 && end - start !== sealed - (count - 1) * size) assert.fail(`${what}: not the remainder`);
          (diff[start] as number)++;
          (diff[end] as number)--;
          expectedStart = end;
        }
        assert.equal(expectedStart, sealed, `size ${size}, sealed ${sealed}: the last fragment ends at the end`);
        let cover = 0;
        for (let b = 0; b < sealed; b++) {
          cover += diff[b] as number;
          if (cover !== 1) assert.fail(`size ${size}, sealed ${sealed}: byte ${b} is covered ${cover} times`);
        }
        checked++;
      }
    }
    assert.equal(checked, sizes.length * 5000);
  });

  test('the fragment count must fit DATA\'s u16 field: at most 65535 fragments, else RC_ERR_WIRE_INVALID (sealedLength)', () => {
    assert.equal(MAX_FRAGMENT_COUNT, 0xffff);
    assert.equal(fragmentCountFor(0xffff * 64, 64), 0xffff);
    assertWireError(() => fragmentCountFor(0xffff * 64 + 1, 64), 'RC_ERR_WIRE_INVALID', 'sealedLength');
    // A 16 MiB block (the largest the manifest allows) sealed: frame header 5 + tag 16.
    const sealed = 16 * 1024 * 1024 + 5 + 16;
    assert.equal(fragmentCountFor(sealed, 1436), 11684);
    assertWireError(() => fragmentCountFor(sealed, fragmentSizeFor(100)), 'RC_ERR_WIRE_INVALID', 'sealedLength');
    assert.equal(fragmentCountFor(sealed, fragmentSizeFor(293)), Math.ceil(sealed / 257));
  });

  test('a sealed block split with fragmentRange, sent as DATA datagrams and decoded, reassembles byte for byte', () => {
    const fragmentSize = fragmentSizeFor(DEFAULT_DATAGRAM_SIZE);
    for (const sealedLength of [16, 1435, 1436, 1437, 10 * 1436, 10 * 1436 + 7]) {
      const sealed = new Uint8Array(sealedLength).map((_, i) => (i * 7 + 3) & 0xff);
      const fragmentCount = fragmentCountFor(sealedLength, fragmentSize);
      const out = new Uint8Array(sealedLength);
      const seen = new Set<number>();
      // Last to first: out of order, as a receiver may see them.
      for (let k = 0; k < fragmentCount; k++) {
        const fragmentIndex = fragmentCount - 1 - k;
        seen.add(fragmentIndex);
        const [start, end] = fragmentRange(fragmentIndex, sealedLength, fragmentSize);
        const bytes = encodeDatagram({
          type: DatagramType.Data, sessionId: 1, senderId: 2, sequence: k, pass: 1,
          blockIndex: 4, fragmentIndex, fragmentCount, sealedLength, payload: sealed.subarray(start, end),
        });
        assert.ok(bytes.byteLength <= DEFAULT_DATAGRAM_SIZE);
        const d = decodeDatagram(bytes);
        assert.ok(d.type === DatagramType.Data);
        out.set(d.payload, fragmentRange(d.fragmentIndex, d.sealedLength, fragmentSize)[0]);
      }
      assert.equal(seen.size, fragmentCount);
      assert.deepStrictEqual(out, sealed, `sealed length ${sealedLength}`);
    }
  });
});
