import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WireError, type WireErrorCode } from '../wire-error.js';
import {
  BLOCKSTREAM_MAGIC, BLOCKSTREAM_VERSION, DATA_HEADER_LENGTH, DEFAULT_DATAGRAM_SIZE, HEADER_LENGTH,
  DatagramType, FinishReason, SenderPhase, decodeDatagram, encodeDatagram, writeDataHeader,
  type AnnounceDatagram, type DataDatagram, type Datagram, type DatagramTypeId, type FinishDatagram, type PassEndDatagram,
} from './datagram.js';

// ---------------------------------------------------------------------------------------------
// An independent writer of the layout in docs/blockstream-protocol.md. It is built from the
// doc's tables (offset, size, field), writes big-endian integers with byte arithmetic (no
// DataView) and validates nothing, so it also builds the inputs the real encoder would never
// produce. Its cell names are the codec's field names, so the same tables say which field a
// truncated datagram must be reported at.
// ---------------------------------------------------------------------------------------------

interface Cell {
  readonly field: string;
  readonly at: number;
  readonly size: number;
}

/** "Datagram header (every RCBS datagram; network byte order)". */
const HEADER_CELLS: readonly Cell[] = [
  { field: 'magic', at: 0, size: 4 },
  { field: 'version', at: 4, size: 1 },
  { field: 'type', at: 5, size: 1 },
  { field: 'reserved', at: 6, size: 2 },
  { field: 'sessionId', at: 8, size: 4 },
  { field: 'senderId', at: 12, size: 4 },
  { field: 'sequence', at: 16, size: 4 },
  { field: 'pass', at: 20, size: 4 },
];

/** The per-type tables: DATA (type 1), ANNOUNCE (2), PASS_END (3), FINISH (4). */
const BODY_CELLS: Readonly<Record<DatagramTypeId, readonly Cell[]>> = {
  1: [
    { field: 'blockIndex', at: 24, size: 4 },
    { field: 'fragmentIndex', at: 28, size: 2 },
    { field: 'fragmentCount', at: 30, size: 2 },
    { field: 'sealedLength', at: 32, size: 4 },
  ],
  2: [
    { field: 'blockCount', at: 24, size: 4 },
    { field: 'fragmentSize', at: 28, size: 2 },
    { field: 'phase', at: 30, size: 1 },
    { field: 'reserved', at: 31, size: 1 },
    { field: 'position', at: 32, size: 4 },
    { field: 'sent', at: 36, size: 4 },
  ],
  3: [
    { field: 'fragmentsSent', at: 24, size: 4 },
    { field: 'lastSequence', at: 28, size: 4 },
  ],
  4: [
    { field: 'reason', at: 24, size: 1 },
    { field: 'reserved', at: 25, size: 3 },
  ],
};

const cellsOf = (type: DatagramTypeId): readonly Cell[] => [...HEADER_CELLS, ...BODY_CELLS[type]];
const fixedLengthOf = (type: DatagramTypeId): number => Math.max(...cellsOf(type).map((c) => c.at + c.size));

/** Writes `value` big-endian into `size` bytes at `at`, keeping its low 8 × size bits. */
function putBE(out: Uint8Array, at: number, size: number, value: number): void {
  let v = BigInt.asUintN(8 * size, BigInt(value));
  for (let k = size - 1; k >= 0; k--, v >>= 8n) out[at + k] = Number(v & 0xffn);
}

/**
 * A datagram laid out per the doc. Fields not given are the documented constants (magic,
 * version 1, the type, reserved 0) or 0; `payload` follows the fixed part (DATA fragment bytes,
 * or trailing garbage for the other types).
 */
function docDatagram(type: number, values: Readonly<Record<string, number>>, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const known = (type >= 1 && type <= 4 ? type : 1) as DatagramTypeId;
  const fixed = fixedLengthOf(known);
  const out = new Uint8Array(fixed + payload.byteLength);
  const defaults: Record<string, number> = { magic: 0x52434253, version: 1, type, reserved: 0 };
  for (const c of cellsOf(known)) putBE(out, c.at, c.size, values[c.field] ?? defaults[c.field] ?? 0);
  out.set(payload, fixed);
  return out;
}

/** The doc layout of a typed datagram value. */
function docEncode(d: Datagram): Uint8Array {
  const values = d as unknown as Readonly<Record<string, number>>;
  return docDatagram(d.type, values, d.type === DatagramType.Data ? d.payload : undefined);
}

/** The field a decoder must name when the input ends at `length` (before the end of the fixed part). */
function fieldAt(type: DatagramTypeId, length: number): string {
  const cell = cellsOf(type).find((c) => c.at + c.size > length);
  assert.ok(cell !== undefined, `length ${length} is not inside the fixed part of type ${type}`);
  return cell.field;
}

// ---------------------------------------------------------------------------------------------

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function patternBytes(length: number, salt: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + salt) & 0xff;
  return out;
}

/** Asserts that `fn` throws a WireError with exactly this code and field. */
function assertWireError(fn: () => unknown, code: WireErrorCode, field: string, what = ''): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WireError, `${what}: expected a WireError, got ${String(err)}`);
    assert.equal(err.code, code, `${what}: ${err.message}`);
    assert.equal(err.field, field, `${what}: ${err.message}`);
    return true;
  });
}

/** encode → decode gives the value back, and the encoding is exactly the doc's layout. */
function roundTrip(d: Datagram): Uint8Array {
  const encoded = encodeDatagram(d);
  assert.equal(hex(encoded), hex(docEncode(d)), 'encoding follows the documented layout');
  assert.deepStrictEqual(decodeDatagram(encoded), d);
  assert.deepStrictEqual(encodeDatagram(decodeDatagram(encoded)), encoded, 're-encoding is byte-identical');
  return encoded;
}

const HEADER = { sessionId: 0x00012345, senderId: 0xdeadbeef, sequence: 77, pass: 1 } as const;

function data(payload: Uint8Array, over: Partial<Omit<DataDatagram, 'type' | 'payload'>> = {}): DataDatagram {
  return { type: DatagramType.Data, ...HEADER, blockIndex: 9, fragmentIndex: 0, fragmentCount: 1, sealedLength: payload.byteLength, payload, ...over };
}

function announce(over: Partial<Omit<AnnounceDatagram, 'type'>> = {}): AnnounceDatagram {
  return { type: DatagramType.Announce, ...HEADER, blockCount: 5000, fragmentSize: 1436, phase: SenderPhase.Transfer, position: 1234, sent: 98765, ...over };
}

function passEnd(over: Partial<Omit<PassEndDatagram, 'type'>> = {}): PassEndDatagram {
  return { type: DatagramType.PassEnd, ...HEADER, fragmentsSent: 31337, lastSequence: 0xfffffff0, ...over };
}

function finish(over: Partial<Omit<FinishDatagram, 'type'>> = {}): FinishDatagram {
  return { type: DatagramType.Finish, ...HEADER, reason: FinishReason.Complete, ...over };
}

const FRAGMENT_SIZE = DEFAULT_DATAGRAM_SIZE - DATA_HEADER_LENGTH; // 1436
const JUMBO_FRAGMENT_SIZE = 8972 - DATA_HEADER_LENGTH; // 8936

// ---------------------------------------------------------------------------------------------

describe('constants match the doc', () => {
  test('magic is "RCBS", version 1, header 24 bytes, DATA header 36, default datagram 1472', () => {
    assert.equal(BLOCKSTREAM_MAGIC, 0x52434253);
    assert.equal(new TextDecoder().decode(encodeDatagram(finish()).subarray(0, 4)), 'RCBS');
    assert.equal(BLOCKSTREAM_VERSION, 1);
    assert.equal(HEADER_LENGTH, 24);
    assert.equal(DATA_HEADER_LENGTH, 36);
    assert.equal(DEFAULT_DATAGRAM_SIZE, 1500 - 20 - 8);
    assert.deepStrictEqual(DatagramType, { Data: 1, Announce: 2, PassEnd: 3, Finish: 4 });
    assert.deepStrictEqual(SenderPhase, { Waiting: 1, Transfer: 2, Complete: 3, Cancelled: 4 });
    assert.deepStrictEqual(FinishReason, { Complete: 1, Cancelled: 2 });
  });

  test('fixed sizes per type: DATA 36 + payload, ANNOUNCE 40, PASS_END 32, FINISH 28', () => {
    assert.equal(encodeDatagram(data(new Uint8Array(5))).byteLength, 36 + 5);
    assert.equal(encodeDatagram(announce()).byteLength, 24 + 16);
    assert.equal(encodeDatagram(passEnd()).byteLength, 24 + 8);
    assert.equal(encodeDatagram(finish()).byteLength, 24 + 4);
    // The test's own tables agree.
    assert.deepStrictEqual([1, 2, 3, 4].map((t) => fixedLengthOf(t as DatagramTypeId)), [36, 40, 32, 28]);
  });
});

describe('round trips', () => {
  const dataCases: { name: string; d: DataDatagram }[] = [
    { name: '1-byte payload (a whole 1-byte sealed block)', d: data(patternBytes(1, 1)) },
    { name: '1436-byte payload (full default fragment)', d: data(patternBytes(FRAGMENT_SIZE, 2), { fragmentIndex: 0, fragmentCount: 3, sealedLength: 3 * FRAGMENT_SIZE - 100 }) },
    { name: '1-byte last fragment of a 1437-byte sealed block', d: data(patternBytes(1, 3), { fragmentIndex: 1, fragmentCount: 2, sealedLength: FRAGMENT_SIZE + 1 }) },
    { name: 'jumbo 8936-byte payload', d: data(patternBytes(JUMBO_FRAGMENT_SIZE, 4), { fragmentIndex: 7, fragmentCount: 8, sealedLength: 8 * JUMBO_FRAGMENT_SIZE }) },
    { name: 'last of 65535 fragments, u32 maxima', d: data(patternBytes(16, 5), { blockIndex: 0xffffffff, fragmentIndex: 0xfffe, fragmentCount: 0xffff, sealedLength: 0xffffffff, sessionId: 0xffffffff, senderId: 0xffffffff, pass: 0xffffffff }) },
    { name: 'all-zero header fields', d: data(new Uint8Array(3), { sessionId: 0, senderId: 0, sequence: 0, pass: 0, blockIndex: 0, sealedLength: 3 }) },
  ];
  for (const c of dataCases) test(`DATA: ${c.name}`, () => void roundTrip(c.d));

  for (const [name, phase] of Object.entries(SenderPhase)) {
    test(`ANNOUNCE: phase ${name} (${phase})`, () => void roundTrip(announce({ phase })));
  }
  test('ANNOUNCE: extremes (fragment size 1 and 65535, counters 0 and 2^32 - 1)', () => {
    roundTrip(announce({ fragmentSize: 1, blockCount: 0, position: 0, sent: 0 }));
    roundTrip(announce({ fragmentSize: 0xffff, blockCount: 0xffffffff, position: 0xffffffff, sent: 0xffffffff }));
  });

  test('PASS_END', () => {
    roundTrip(passEnd());
    roundTrip(passEnd({ fragmentsSent: 0, lastSequence: 0 }));
    roundTrip(passEnd({ fragmentsSent: 0xffffffff, lastSequence: 0xffffffff }));
  });

  for (const [name, reason] of Object.entries(FinishReason)) {
    test(`FINISH: reason ${name} (${reason})`, () => void roundTrip(finish({ reason })));
  }

  test('sequence numbers near 2^32 wrap with >>> 0 (sender: next = (sequence + 1) >>> 0)', () => {
    let sequence = 0xfffffffd;
    const seen: number[] = [];
    for (let k = 0; k < 5; k++) {
      const d = decodeDatagram(roundTrip(data(new Uint8Array([k]), { sequence })));
      seen.push(d.sequence);
      sequence = (sequence + 1) >>> 0;
    }
    assert.deepStrictEqual(seen, [0xfffffffd, 0xfffffffe, 0xffffffff, 0, 1]);
    // The encoder applies >>> 0 itself: 2^32 + n and -1 are written as n and 2^32 - 1.
    const at = (d: Datagram): string => hex(encodeDatagram(d).subarray(16, 20));
    assert.equal(at(passEnd({ sequence: 2 ** 32 })), '00000000');
    assert.equal(at(passEnd({ sequence: 2 ** 32 + 5 })), '00000005');
    assert.equal(at(finish({ sequence: -1 })), 'ffffffff');
    assert.equal(decodeDatagram(encodeDatagram(announce({ sequence: 2 ** 32 + 1, sent: 2 ** 32 + 2 }))).sequence, 1);
    const wrapped = decodeDatagram(encodeDatagram(announce({ sent: 2 ** 32 + 2 })));
    assert.equal(wrapped.type === DatagramType.Announce && wrapped.sent, 2);
    const last = decodeDatagram(encodeDatagram(passEnd({ lastSequence: 2 ** 32 + 3 })));
    assert.equal(last.type === DatagramType.PassEnd && last.lastSequence, 3);
  });

  test('decodes from a view with a non-zero byteOffset and from a pooled Buffer', () => {
    for (const d of [data(patternBytes(100, 7), { sealedLength: 5000, fragmentCount: 4, fragmentIndex: 3 }), announce(), passEnd(), finish()]) {
      const encoded = encodeDatagram(d);
      const padded = new Uint8Array(encoded.byteLength + 13);
      padded.set(encoded, 5);
      assert.deepStrictEqual(decodeDatagram(padded.subarray(5, 5 + encoded.byteLength)), d);
      const pooled = Buffer.from(encoded); // small Buffers share a pool: byteOffset is usually not 0
      const decoded = decodeDatagram(pooled);
      // A Buffer's subarray is a Buffer: compare the payload as plain bytes.
      assert.deepStrictEqual(decoded.type === DatagramType.Data ? { ...decoded, payload: new Uint8Array(decoded.payload) } : decoded, d);
    }
  });
});

describe('layout matches docs/blockstream-protocol.md byte for byte', () => {
  // Golden vectors written out by hand from the doc's tables, one per type.
  const header = (type: string): string => `52434253 01 ${type} 0000 00012345 deadbeef 0000004d 00000001`;
  const cases: { name: string; d: Datagram; expected: string }[] = [
    {
      name: 'DATA',
      d: data(new Uint8Array([0xaa, 0xbb, 0xcc]), { blockIndex: 0x01020304, fragmentIndex: 0x0506, fragmentCount: 0x0708, sealedLength: 0x090a0b0c }),
      expected: `${header('01')} 01020304 0506 0708 090a0b0c aabbcc`,
    },
    {
      name: 'ANNOUNCE',
      d: announce({ blockCount: 0x11121314, fragmentSize: 0x059c, phase: SenderPhase.Complete, position: 0x21222324, sent: 0x31323334 }),
      expected: `${header('02')} 11121314 059c 03 00 21222324 31323334`,
    },
    { name: 'PASS_END', d: passEnd({ fragmentsSent: 0x41424344, lastSequence: 0x51525354 }), expected: `${header('03')} 41424344 51525354` },
    { name: 'FINISH', d: finish({ reason: FinishReason.Cancelled }), expected: `${header('04')} 02 000000` },
  ];
  for (const c of cases) {
    test(`${c.name}: golden vector`, () => {
      assert.equal(hex(encodeDatagram(c.d)), c.expected.replaceAll(' ', ''));
      assert.equal(hex(docEncode(c.d)), c.expected.replaceAll(' ', ''), 'the test\'s doc writer agrees with the golden vector');
      assert.deepStrictEqual(decodeDatagram(new Uint8Array(Buffer.from(c.expected.replaceAll(' ', ''), 'hex'))), c.d);
    });
  }

  test('encodeDatagram equals the doc writer for many field values', () => {
    const values = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
    let n = 0;
    for (const v of values) {
      const v16 = v & 0xffff;
      const header = { sessionId: v, senderId: v ^ 0x5a5a5a5a, sequence: (v + 1) >>> 0, pass: v };
      const all: Datagram[] = [
        data(patternBytes(1 + (v % 50), v), { ...header, blockIndex: v, fragmentIndex: Math.max(0, v16 - 1), fragmentCount: Math.max(1, v16), sealedLength: v + 1000 }),
        announce({ ...header, blockCount: v, fragmentSize: Math.max(1, v16), position: v, sent: v }),
        passEnd({ ...header, fragmentsSent: v, lastSequence: v }),
        finish({ ...header, reason: v % 2 === 0 ? FinishReason.Complete : FinishReason.Cancelled }),
      ];
      for (const d of all) {
        assert.equal(hex(encodeDatagram(d)), hex(docEncode(d)), `type ${d.type}, value ${v}`);
        n++;
      }
    }
    assert.equal(n, values.length * 4);
  });
});

describe('writeDataHeader', () => {
  test('header + payload concatenated equals encodeDatagram byte for byte', () => {
    for (const size of [1, 100, FRAGMENT_SIZE, JUMBO_FRAGMENT_SIZE]) {
      const d = data(patternBytes(size, size), { fragmentIndex: 2, fragmentCount: 3, sealedLength: 2 * size + size, sequence: 0xffffffff });
      const head = new Uint8Array(DATA_HEADER_LENGTH);
      writeDataHeader(head, d);
      const joined = new Uint8Array(head.byteLength + d.payload.byteLength);
      joined.set(head);
      joined.set(d.payload, head.byteLength);
      assert.equal(hex(joined), hex(encodeDatagram(d)), `payload ${size}`);
      assert.equal(hex(head), hex(docEncode(d).subarray(0, DATA_HEADER_LENGTH)));
    }
  });

  test('a reused header buffer is fully overwritten, and a sub-view at an offset is written in place only', () => {
    const head = new Uint8Array(DATA_HEADER_LENGTH).fill(0xee);
    const d = data(new Uint8Array(1));
    writeDataHeader(head, d);
    assert.equal(hex(head), hex(encodeDatagram(d).subarray(0, DATA_HEADER_LENGTH)));

    const big = new Uint8Array(100).fill(0x77);
    writeDataHeader(big.subarray(10, 10 + DATA_HEADER_LENGTH), d);
    assert.equal(hex(big.subarray(10, 10 + DATA_HEADER_LENGTH)), hex(head));
    assert.ok(big.subarray(0, 10).every((b) => b === 0x77), 'bytes before the view are untouched');
    assert.ok(big.subarray(10 + DATA_HEADER_LENGTH).every((b) => b === 0x77), 'bytes after the header are untouched');
  });
});

describe('decoded DATA payload is a view into the datagram (intended: zero-copy receive path)', () => {
  // The receiver copies each fragment into its block assembly buffer right away; decoding must
  // not add a second copy per datagram. The price: the payload is only valid until the caller
  // reuses or mutates the receive buffer, which the receiver must respect.
  test('shares the underlying buffer at offset 36 and sees later writes to it', () => {
    const encoded = encodeDatagram(data(patternBytes(50, 9)));
    const decoded = decodeDatagram(encoded);
    assert.equal(decoded.type, DatagramType.Data);
    if (decoded.type !== DatagramType.Data) return;
    assert.equal(decoded.payload.buffer, encoded.buffer);
    assert.equal(decoded.payload.byteOffset, encoded.byteOffset + DATA_HEADER_LENGTH);
    assert.equal(decoded.payload.byteLength, 50);
    encoded[DATA_HEADER_LENGTH] = 0x42;
    assert.equal(decoded.payload[0], 0x42);
  });

  test('also from a sub-view with a non-zero byteOffset', () => {
    const encoded = encodeDatagram(data(patternBytes(20, 3)));
    const padded = new Uint8Array(encoded.byteLength + 9);
    padded.set(encoded, 9);
    const decoded = decodeDatagram(padded.subarray(9));
    assert.ok(decoded.type === DatagramType.Data);
    assert.equal(decoded.payload.buffer, padded.buffer);
    assert.equal(decoded.payload.byteOffset, 9 + DATA_HEADER_LENGTH);
  });

  test('the encoder, in contrast, copies the payload', () => {
    const payload = patternBytes(10, 1);
    const encoded = encodeDatagram(data(payload));
    payload[0] = 0xff;
    assert.notEqual(encoded[DATA_HEADER_LENGTH], 0xff);
  });
});

describe('decodeDatagram rejects', () => {
  const valid: Record<DatagramTypeId, Uint8Array> = {
    1: encodeDatagram(data(patternBytes(40, 1), { fragmentIndex: 1, fragmentCount: 2, sealedLength: 80 })),
    2: encodeDatagram(announce()),
    3: encodeDatagram(passEnd()),
    4: encodeDatagram(finish()),
  };

  test('bad magic: each magic byte changed, another protocol\'s magic, zeros', () => {
    for (const type of [1, 2, 3, 4] as const) {
      for (let i = 0; i < 4; i++) {
        const bytes = valid[type].slice();
        bytes[i] = (bytes[i] ?? 0) ^ 0x20;
        assertWireError(() => decodeDatagram(bytes), 'RC_ERR_WIRE_BAD_MAGIC', 'magic', `type ${type}, byte ${i}`);
      }
    }
    assertWireError(() => decodeDatagram(docDatagram(4, { magic: 0x52434e4b, reason: 1 })), 'RC_ERR_WIRE_BAD_MAGIC', 'magic', 'RCNK');
    assertWireError(() => decodeDatagram(new Uint8Array(40)), 'RC_ERR_WIRE_BAD_MAGIC', 'magic', 'zeros');
  });

  test('versions other than 1', () => {
    for (const version of [0, 2, 0x7f, 0xff]) {
      for (const type of [1, 2, 3, 4] as const) {
        const bytes = valid[type].slice();
        bytes[4] = version;
        assertWireError(() => decodeDatagram(bytes), 'RC_ERR_WIRE_UNSUPPORTED_VERSION', 'version', `version ${version}`);
      }
    }
  });

  test('unknown datagram types', () => {
    for (const type of [0, 5, 6, 0x80, 0xff]) {
      assertWireError(() => decodeDatagram(docDatagram(type, {}, new Uint8Array(16))), 'RC_ERR_WIRE_INVALID', 'type', `type ${type}`);
    }
  });

  for (const type of [1, 2, 3, 4] as const) {
    test(`type ${type} truncated at every length of its fixed part → RC_ERR_WIRE_TRUNCATED at the field cut`, () => {
      const fixed = fixedLengthOf(type);
      for (let length = 0; length < fixed; length++) {
        assertWireError(() => decodeDatagram(valid[type].subarray(0, length)), 'RC_ERR_WIRE_TRUNCATED', fieldAt(type, length), `length ${length}`);
      }
    });
  }

  test('DATA cut right after its 36-byte header has an empty payload → RC_ERR_WIRE_INVALID payload', () => {
    assertWireError(() => decodeDatagram(valid[1].subarray(0, DATA_HEADER_LENGTH)), 'RC_ERR_WIRE_INVALID', 'payload');
  });

  test('DATA cut inside its payload still decodes: its length is checked by the receiver against the fragment size', () => {
    // A DATA datagram carries no payload length; the doc assigns the check (payload length =
    // fragmentSize, or the remainder for the last fragment) to the receiver, which knows the
    // session's fragment size from ANNOUNCE.
    for (let length = DATA_HEADER_LENGTH + 1; length < valid[1].byteLength; length++) {
      const d = decodeDatagram(valid[1].subarray(0, length));
      assert.ok(d.type === DatagramType.Data);
      assert.equal(d.payload.byteLength, length - DATA_HEADER_LENGTH);
    }
  });

  test('control datagrams with bytes after their fixed part → RC_ERR_WIRE_INVALID type', () => {
    for (const type of [2, 3, 4] as const) {
      for (const extra of [1, 3, 100]) {
        const bytes = new Uint8Array(valid[type].byteLength + extra);
        bytes.set(valid[type]);
        assertWireError(() => decodeDatagram(bytes), 'RC_ERR_WIRE_INVALID', 'type', `type ${type} + ${extra}`);
      }
    }
  });

  const dataFields = { blockIndex: 3, fragmentIndex: 0, fragmentCount: 1, sealedLength: 100, ...HEADER };
  const cases: { name: string; bytes: Uint8Array; code: WireErrorCode; field: string }[] = [
    { name: 'fragmentIndex = fragmentCount', bytes: docDatagram(1, { ...dataFields, fragmentIndex: 3, fragmentCount: 3 }, new Uint8Array(10)), code: 'RC_ERR_WIRE_INVALID', field: 'fragmentIndex' },
    { name: 'fragmentIndex > fragmentCount', bytes: docDatagram(1, { ...dataFields, fragmentIndex: 0xffff, fragmentCount: 1 }, new Uint8Array(10)), code: 'RC_ERR_WIRE_INVALID', field: 'fragmentIndex' },
    { name: 'fragmentIndex 0xffff of 0xffff', bytes: docDatagram(1, { ...dataFields, fragmentIndex: 0xffff, fragmentCount: 0xffff }, new Uint8Array(10)), code: 'RC_ERR_WIRE_INVALID', field: 'fragmentIndex' },
    { name: 'fragmentCount 0', bytes: docDatagram(1, { ...dataFields, fragmentIndex: 0, fragmentCount: 0 }, new Uint8Array(10)), code: 'RC_ERR_WIRE_INVALID', field: 'fragmentCount' },
    { name: 'empty payload', bytes: docDatagram(1, dataFields), code: 'RC_ERR_WIRE_INVALID', field: 'payload' },
    { name: 'payload longer than sealedLength', bytes: docDatagram(1, { ...dataFields, sealedLength: 9 }, new Uint8Array(10)), code: 'RC_ERR_WIRE_INVALID', field: 'payload' },
    { name: 'sealedLength 0', bytes: docDatagram(1, { ...dataFields, sealedLength: 0 }, new Uint8Array(1)), code: 'RC_ERR_WIRE_INVALID', field: 'payload' },
    { name: 'ANNOUNCE phase 0', bytes: docDatagram(2, { ...HEADER, fragmentSize: 1436, phase: 0 }), code: 'RC_ERR_WIRE_INVALID', field: 'phase' },
    { name: 'ANNOUNCE phase 5', bytes: docDatagram(2, { ...HEADER, fragmentSize: 1436, phase: 5 }), code: 'RC_ERR_WIRE_INVALID', field: 'phase' },
    { name: 'ANNOUNCE phase 255', bytes: docDatagram(2, { ...HEADER, fragmentSize: 1436, phase: 255 }), code: 'RC_ERR_WIRE_INVALID', field: 'phase' },
    { name: 'ANNOUNCE fragmentSize 0', bytes: docDatagram(2, { ...HEADER, fragmentSize: 0, phase: 2 }), code: 'RC_ERR_WIRE_INVALID', field: 'fragmentSize' },
    { name: 'FINISH reason 0', bytes: docDatagram(4, { ...HEADER, reason: 0 }), code: 'RC_ERR_WIRE_INVALID', field: 'reason' },
    { name: 'FINISH reason 3', bytes: docDatagram(4, { ...HEADER, reason: 3 }), code: 'RC_ERR_WIRE_INVALID', field: 'reason' },
    { name: 'FINISH reason 255', bytes: docDatagram(4, { ...HEADER, reason: 255 }), code: 'RC_ERR_WIRE_INVALID', field: 'reason' },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.code} (${c.field})`, () => assertWireError(() => decodeDatagram(c.bytes), c.code, c.field));
  }

  test('the doc writer builds decodable datagrams when nothing is off (so the cases above fail for their reason)', () => {
    assert.equal(decodeDatagram(docDatagram(1, dataFields, new Uint8Array(100))).type, DatagramType.Data);
    assert.equal(decodeDatagram(docDatagram(1, { ...dataFields, fragmentIndex: 0xfffe, fragmentCount: 0xffff }, new Uint8Array(10))).type, DatagramType.Data);
    assert.equal(decodeDatagram(docDatagram(2, { ...HEADER, fragmentSize: 1, phase: 4 })).type, DatagramType.Announce);
    assert.equal(decodeDatagram(docDatagram(4, { ...HEADER, reason: 2 })).type, DatagramType.Finish);
  });
});

describe('reserved bytes', () => {
  test('non-zero reserved bytes are ignored on decode and written as zero on encode', () => {
    const cases: [DatagramTypeId, Record<string, number>, Uint8Array?][] = [
      [1, { ...HEADER, reserved: 0xffff, fragmentCount: 1, sealedLength: 4 }, new Uint8Array(4)],
      [2, { ...HEADER, reserved: 0xff, fragmentSize: 1436, phase: 1 }],
      [3, { ...HEADER, reserved: 0xff }],
      [4, { ...HEADER, reserved: 0xffffff, reason: 2 }],
    ];
    for (const [type, values, payload] of cases) {
      // `reserved` fills the header's reserved u16 and the body's reserved bytes alike.
      const bytes = docDatagram(type, values, payload);
      const decoded = decodeDatagram(bytes);
      const canonical = encodeDatagram(decoded);
      assert.equal(canonical.byteLength, bytes.byteLength);
      for (const c of cellsOf(type)) {
        const slice = (b: Uint8Array): string => hex(b.subarray(c.at, c.at + c.size));
        if (c.field === 'reserved') assert.match(slice(canonical), /^(00)+$/, `type ${type}: ${c.field}@${c.at}`);
        else assert.equal(slice(canonical), slice(bytes), `type ${type}: ${c.field}@${c.at}`);
      }
      assert.deepStrictEqual(decodeDatagram(canonical), decoded);
    }
  });
});
