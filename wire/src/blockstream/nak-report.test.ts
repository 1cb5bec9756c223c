import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WireError, type WireErrorCode } from '../wire-error.js';
import { MAX_NAK_ENTRIES, decodeNakReport, encodeNakReport, type NakEntry, type NakReport } from './nak-report.js';

// ---------------------------------------------------------------------------------------------
// An independent writer of "NAK report" in docs/blockstream-protocol.md. It validates nothing
// and records which field sits where, so a test can cut an encoding anywhere and know the field
// the decoder must name.
// ---------------------------------------------------------------------------------------------

interface RawEntry {
  tag: number;
  /** blocks: [first, count]; fragments: [block, fragmentCount]. */
  a: number;
  b: number;
  bitmap?: Uint8Array;
}

interface RawReport {
  magic: number;
  version: number;
  flags: number;
  reserved: number;
  pass: number;
  received: number;
  sent: number;
  entryCount: number;
  entries: RawEntry[];
  trailing: Uint8Array;
}

interface Cell {
  field: string;
  at: number;
  size: number;
}

function rawFrom(r: NakReport): RawReport {
  return {
    magic: 0x52434e4b, version: 1, flags: (r.complete ? 1 : 0) | (r.interim === true ? 2 : 0), reserved: 0, pass: r.pass, received: r.received, sent: r.sent,
    entryCount: r.entries.length,
    entries: r.entries.map((e) => (e.kind === 'blocks' ? { tag: 1, a: e.first, b: e.count } : { tag: 2, a: e.block, b: e.fragmentCount, bitmap: e.bitmap })),
    trailing: new Uint8Array(0),
  };
}

function rawEncode(r: RawReport): { bytes: Uint8Array; cells: Cell[] } {
  const out: number[] = [];
  const cells: Cell[] = [];
  const put = (field: string, size: number, value: number): void => {
    cells.push({ field, at: out.length, size });
    for (let k = size - 1; k >= 0; k--) out.push(Math.floor(value / 256 ** k) % 256);
  };
  put('magic', 4, r.magic);
  put('version', 1, r.version);
  put('flags', 1, r.flags);
  put('reserved', 2, r.reserved);
  put('pass', 4, r.pass);
  put('received', 4, r.received);
  put('sent', 4, r.sent);
  put('entryCount', 4, r.entryCount);
  r.entries.forEach((e, i) => {
    put(`entries[${i}].tag`, 1, e.tag);
    if (e.tag === 2) {
      put(`entries[${i}].block`, 4, e.a);
      put(`entries[${i}].fragmentCount`, 2, e.b);
      const bitmap = e.bitmap ?? new Uint8Array(0);
      cells.push({ field: `entries[${i}].bitmap`, at: out.length, size: bitmap.byteLength });
      out.push(...bitmap);
    } else {
      put(`entries[${i}].first`, 4, e.a);
      put(`entries[${i}].count`, 4, e.b);
    }
  });
  out.push(...r.trailing);
  return { bytes: Uint8Array.from(out), cells };
}

const raw = (r: RawReport): Uint8Array => rawEncode(r).bytes;

// ---------------------------------------------------------------------------------------------

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
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

function report(entries: NakEntry[], over: Partial<NakReport> = {}): NakReport {
  return { pass: 3, complete: false, received: 123456, sent: 130000, entries, ...over };
}

const blocks = (first: number, count: number): NakEntry => ({ kind: 'blocks', first, count });

/** A fragments entry whose bitmap marks `missing` (indices < fragmentCount) as missing. */
function fragments(block: number, fragmentCount: number, missing: readonly number[]): NakEntry {
  const bitmap = new Uint8Array(Math.ceil(fragmentCount / 8));
  for (const i of missing) bitmap[i >> 3] = (bitmap[i >> 3] ?? 0) | (1 << (i & 7));
  return { kind: 'fragments', block, fragmentCount, bitmap };
}

/** encode → decode gives the value back, and the encoding is exactly the doc's layout. */
function roundTrip(r: NakReport): Uint8Array {
  const encoded = encodeNakReport(r);
  assert.equal(hex(encoded), hex(raw(rawFrom(r))), 'encoding follows the documented layout');
  assert.deepStrictEqual(decodeNakReport(encoded), r);
  assert.deepStrictEqual(encodeNakReport(decodeNakReport(encoded)), encoded, 're-encoding is byte-identical');
  return encoded;
}

// A report with both kinds of entries, used by the truncation and rejection tests.
const MIXED = report([blocks(0, 3), fragments(3, 9, [0, 8]), blocks(4, 1), fragments(10, 1, [0]), blocks(100, 0xffff)]);

// ---------------------------------------------------------------------------------------------

describe('encodeNakReport / decodeNakReport round trips', () => {
  test('complete: nothing missing', () => {
    const encoded = roundTrip(report([], { complete: true }));
    assert.equal(encoded.byteLength, 24);
  });

  test('empty but not flagged complete (e.g. a receiver that joined after the pass)', () => void roundTrip(report([])));

  test('mixed entries', () => void roundTrip(MIXED));

  for (const count of [1, 7, 8, 9, 16, 17, 1436, 65535]) {
    test(`bitmap of ${count} fragments (${Math.ceil(count / 8)} bytes), first, last and every third missing`, () => {
      const missing = [0, count - 1, ...Array.from({ length: Math.ceil(count / 3) }, (_, k) => k * 3)];
      const entry = fragments(7, count, missing);
      assert.equal((entry as { bitmap: Uint8Array }).bitmap.byteLength, Math.ceil(count / 8));
      roundTrip(report([entry]));
      roundTrip(report([fragments(7, count, [])]));
      roundTrip(report([{ kind: 'fragments', block: 7, fragmentCount: count, bitmap: new Uint8Array(Math.ceil(count / 8)).fill(0xff) }]));
    });
  }

  test('bitmap bit order: bit i of byte i/8, LSB first', () => {
    const encoded = encodeNakReport(report([fragments(0, 12, [0, 3, 8, 11])]));
    // tag 02, block 00000000, count 000c, bitmap 0b00001001, 0b00001001
    assert.equal(hex(encoded.subarray(24)), '02' + '00000000' + '000c' + '09' + '09');
  });

  test('many entries: 10000 alternating runs and partial blocks', () => {
    const entries: NakEntry[] = [];
    for (let i = 0, at = 0; i < 10_000; i++) {
      entries.push(i % 2 === 0 ? blocks(at, 1 + (i % 7)) : fragments(at, 1 + (i % 300), [i % (1 + (i % 300))]));
      at += (i % 2 === 0 ? 1 + (i % 7) : 1) + (i % 3);
    }
    roundTrip(report(entries));
  });

  test(`exactly MAX_NAK_ENTRIES (${MAX_NAK_ENTRIES}) entries`, () => {
    const entries = Array.from({ length: MAX_NAK_ENTRIES }, (_, i) => blocks(2 * i, 1));
    const decoded = decodeNakReport(encodeNakReport(report(entries)));
    assert.equal(decoded.entries.length, MAX_NAK_ENTRIES);
    assert.deepStrictEqual(decoded.entries.at(-1), blocks(2 * (MAX_NAK_ENTRIES - 1), 1));
  });

  test('edges: adjacent entries, runs ending at block 2^32 - 2, a partial block 2^32 - 1, u32 counters', () => {
    roundTrip(report([blocks(0, 5), fragments(5, 2, [1]), blocks(6, 1), fragments(7, 3, [0])]));
    roundTrip(report([blocks(0, 0xffffffff)]));
    roundTrip(report([blocks(0xfffffffe, 1), fragments(0xffffffff, 1, [0])]));
    roundTrip(report([], { pass: 0xffffffff, received: 0xffffffff, sent: 0xffffffff }));
    roundTrip(report([], { pass: 0, received: 0, sent: 0 }));
  });

  test('received and sent wrap with >>> 0 on encode', () => {
    const decoded = decodeNakReport(encodeNakReport(report([], { received: 2 ** 32 + 1, sent: -1 })));
    assert.equal(decoded.received, 1);
    assert.equal(decoded.sent, 0xffffffff);
  });

  test('golden vector written from the doc', () => {
    const r = report([blocks(0x01020304, 2), fragments(0x01020306, 9, [0, 8])], { pass: 5, received: 0x10, sent: 0x20, complete: false });
    const expected = '52434e4b 01 00 0000 00000005 00000010 00000020 00000002 01 01020304 00000002 02 01020306 0009 01 01'.replaceAll(' ', '');
    assert.equal(hex(encodeNakReport(r)), expected);
    assert.deepStrictEqual(decodeNakReport(new Uint8Array(Buffer.from(expected, 'hex'))), r);
  });

  test('decodes from a view with a non-zero byteOffset and from a pooled Buffer', () => {
    const encoded = encodeNakReport(MIXED);
    const padded = new Uint8Array(encoded.byteLength + 10);
    padded.set(encoded, 3);
    assert.deepStrictEqual(decodeNakReport(padded.subarray(3, 3 + encoded.byteLength)), MIXED);
    assert.deepStrictEqual(decodeNakReport(Buffer.from(encoded)), MIXED);
  });

  test('decoded bitmaps are copies: mutating the input afterwards changes nothing', () => {
    const encoded = encodeNakReport(MIXED);
    const decoded = decodeNakReport(encoded);
    encoded.fill(0xff, 24);
    assert.deepStrictEqual(decoded, MIXED);
  });

  test('unknown flag bits and reserved bytes are ignored on decode and written as zero on encode', () => {
    const r = rawFrom(MIXED);
    r.flags = 0xfc;
    r.reserved = 0xffff;
    const decoded = decodeNakReport(raw(r));
    assert.equal(decoded.complete, false);
    assert.equal(decoded.interim, undefined);
    assert.deepStrictEqual(encodeNakReport(decoded), encodeNakReport(MIXED));
    r.flags = 0xfd;
    assert.equal(decodeNakReport(raw(r)).complete, true);
  });

  test('flag bit 1 marks an in-pass (interim) repair request; absent, the report answers PASS_END', () => {
    const interim = roundTrip(report([fragments(7, 90, [3, 40, 89])], { interim: true }));
    assert.equal(interim[5], 2);
    assert.equal(decodeNakReport(interim).interim, true);
    assert.equal(decodeNakReport(encodeNakReport(report([]))).interim, undefined);
  });
});

describe('encodeNakReport rejects', () => {
  const cases: { name: string; entry: NakEntry }[] = [
    { name: '9 fragments, 1 bitmap byte', entry: { kind: 'fragments', block: 0, fragmentCount: 9, bitmap: new Uint8Array(1) } },
    { name: '8 fragments, 2 bitmap bytes', entry: { kind: 'fragments', block: 0, fragmentCount: 8, bitmap: new Uint8Array(2) } },
    { name: '1 fragment, 0 bitmap bytes', entry: { kind: 'fragments', block: 0, fragmentCount: 1, bitmap: new Uint8Array(0) } },
    { name: '65535 fragments, 8191 bitmap bytes', entry: { kind: 'fragments', block: 0, fragmentCount: 65535, bitmap: new Uint8Array(8191) } },
  ];
  for (const c of cases) {
    test(`bitmap length mismatch: ${c.name} → RC_ERR_WIRE_INVALID (bitmap)`, () => {
      assertWireError(() => encodeNakReport(report([c.entry])), 'RC_ERR_WIRE_INVALID', 'bitmap');
      // Also when it is not the first entry.
      assertWireError(() => encodeNakReport(report([blocks(100, 1), { ...c.entry, block: 200 } as NakEntry])), 'RC_ERR_WIRE_INVALID', 'bitmap');
    });
  }

  test(`more than MAX_NAK_ENTRIES entries → RC_ERR_WIRE_INVALID (entries)`, () => {
    const entries = Array.from({ length: MAX_NAK_ENTRIES + 1 }, (_, i) => blocks(2 * i, 1));
    assertWireError(() => encodeNakReport(report(entries)), 'RC_ERR_WIRE_INVALID', 'entries');
  });
});

describe('decodeNakReport rejects', () => {
  const { bytes: mixed, cells } = rawEncode(rawFrom(MIXED));

  test('the raw writer matches the encoder, so the cases below fail for their stated reason', () => {
    assert.equal(hex(mixed), hex(encodeNakReport(MIXED)));
  });

  test('bad magic', () => {
    for (let i = 0; i < 4; i++) {
      const bytes = mixed.slice();
      bytes[i] = (bytes[i] ?? 0) ^ 0x01;
      assertWireError(() => decodeNakReport(bytes), 'RC_ERR_WIRE_BAD_MAGIC', 'magic', `byte ${i}`);
    }
    assertWireError(() => decodeNakReport(raw({ ...rawFrom(MIXED), magic: 0x52434253 })), 'RC_ERR_WIRE_BAD_MAGIC', 'magic', 'a datagram\'s RCBS');
  });

  test('versions other than 1', () => {
    for (const version of [0, 2, 255]) {
      assertWireError(() => decodeNakReport(raw({ ...rawFrom(MIXED), version })), 'RC_ERR_WIRE_UNSUPPORTED_VERSION', 'version', `version ${version}`);
    }
  });

  test('truncated at every length → RC_ERR_WIRE_TRUNCATED at the field cut (or at entryCount, when the rest cannot hold the entries)', () => {
    const entryCount = MIXED.entries.length;
    for (let length = 0; length < mixed.byteLength; length++) {
      let field: string;
      if (length >= 24 && entryCount * 7 > length - 24) {
        field = 'entryCount';
      } else {
        const cell = cells.find((c) => c.at + c.size > length);
        assert.ok(cell !== undefined);
        field = cell.field;
      }
      assertWireError(() => decodeNakReport(mixed.subarray(0, length)), 'RC_ERR_WIRE_TRUNCATED', field, `length ${length}`);
    }
  });

  test('a huge entryCount with a tiny body fails fast, before allocating for the entries', () => {
    const huge = [0xffffffff, 0x80000000, MAX_NAK_ENTRIES + 1, MAX_NAK_ENTRIES, 1000];
    for (const entryCount of huge) {
      for (const body of [0, 1, 9, 100]) {
        const bytes = raw({ ...rawFrom(report([])), entryCount, trailing: new Uint8Array(body) });
        assertWireError(() => decodeNakReport(bytes), 'RC_ERR_WIRE_TRUNCATED', 'entryCount', `${entryCount} entries in ${body} bytes`);
      }
    }
    // Fast: the check is arithmetic on the header. 20000 decodes of a 4-billion-entry claim
    // would take minutes (and gigabytes) if the decoder looped or reserved space first.
    const bytes = raw({ ...rawFrom(report([])), entryCount: 0xffffffff, trailing: new Uint8Array(64) });
    const started = performance.now();
    for (let k = 0; k < 20_000; k++) {
      try {
        decodeNakReport(bytes);
        assert.fail('decoded');
      } catch (err) {
        if (!(err instanceof WireError) || err.field !== 'entryCount') throw err;
      }
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2000, `20000 rejections took ${elapsed.toFixed(0)} ms`);
  });

  test(`more than MAX_NAK_ENTRIES entries in a body that could hold them → RC_ERR_WIRE_INVALID (entryCount)`, () => {
    const entries = Array.from({ length: MAX_NAK_ENTRIES + 1 }, (_, i) => ({ tag: 1, a: 2 * i, b: 1 }));
    assertWireError(() => decodeNakReport(raw({ ...rawFrom(report([])), entryCount: entries.length, entries })), 'RC_ERR_WIRE_INVALID', 'entryCount');
  });

  test('trailing bytes after the last entry → RC_ERR_WIRE_INVALID (entryCount)', () => {
    for (const n of [1, 6, 7, 9, 100]) {
      assertWireError(() => decodeNakReport(raw({ ...rawFrom(MIXED), trailing: new Uint8Array(n) })), 'RC_ERR_WIRE_INVALID', 'entryCount', `${n} bytes`);
    }
    // A count lower than the entries present reads as trailing bytes too.
    assertWireError(() => decodeNakReport(raw({ ...rawFrom(MIXED), entryCount: MIXED.entries.length - 1 })), 'RC_ERR_WIRE_INVALID', 'entryCount', 'count too low');
    assertWireError(() => decodeNakReport(raw({ ...rawFrom(report([])), trailing: new Uint8Array(1) })), 'RC_ERR_WIRE_INVALID', 'entryCount', 'no entries');
  });

  type Entries = RawEntry[];
  const bitmap1 = new Uint8Array([1]);
  const cases: { name: string; entries: Entries; code: WireErrorCode; field: string }[] = [
    { name: 'runs out of order', entries: [{ tag: 1, a: 10, b: 2 }, { tag: 1, a: 5, b: 1 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[1]' },
    { name: 'partial blocks out of order', entries: [{ tag: 2, a: 9, b: 1, bitmap: bitmap1 }, { tag: 2, a: 8, b: 1, bitmap: bitmap1 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[1]' },
    { name: 'overlapping runs', entries: [{ tag: 1, a: 0, b: 5 }, { tag: 1, a: 4, b: 1 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[1]' },
    { name: 'a partial block inside a run', entries: [{ tag: 1, a: 0, b: 5 }, { tag: 2, a: 4, b: 1, bitmap: bitmap1 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[1]' },
    { name: 'a run starting at a partial block', entries: [{ tag: 2, a: 3, b: 1, bitmap: bitmap1 }, { tag: 1, a: 3, b: 2 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[1]' },
    { name: 'the same partial block twice', entries: [{ tag: 2, a: 3, b: 1, bitmap: bitmap1 }, { tag: 2, a: 3, b: 1, bitmap: bitmap1 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[1]' },
    { name: 'the same run twice', entries: [{ tag: 1, a: 3, b: 1 }, { tag: 1, a: 3, b: 1 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[1]' },
    { name: 'out of order later in the list', entries: [{ tag: 1, a: 0, b: 1 }, { tag: 1, a: 5, b: 1 }, { tag: 1, a: 10, b: 1 }, { tag: 1, a: 9, b: 1 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[3]' },
    { name: 'zero-block run', entries: [{ tag: 1, a: 4, b: 0 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[0].count' },
    { name: 'zero-block run after a valid one', entries: [{ tag: 1, a: 0, b: 1 }, { tag: 1, a: 4, b: 0 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[1].count' },
    { name: 'run first + count = 2^32', entries: [{ tag: 1, a: 0xffffffff, b: 1 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[0].count' },
    { name: 'run 1 + (2^32 - 1)', entries: [{ tag: 1, a: 1, b: 0xffffffff }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[0].count' },
    { name: 'run (2^32 - 1) + (2^32 - 1)', entries: [{ tag: 1, a: 0xffffffff, b: 0xffffffff }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[0].count' },
    { name: 'run 2^31 + 2^31', entries: [{ tag: 1, a: 0x80000000, b: 0x80000000 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[0].count' },
    { name: 'zero-fragment partial block', entries: [{ tag: 2, a: 4, b: 0, bitmap: new Uint8Array(1) }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[0].fragmentCount' },
    { name: 'unknown tag 0', entries: [{ tag: 0, a: 0, b: 0 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[0].tag' },
    { name: 'unknown tag 3', entries: [{ tag: 1, a: 0, b: 1 }, { tag: 3, a: 5, b: 1 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[1].tag' },
    { name: 'unknown tag 255', entries: [{ tag: 255, a: 0, b: 0 }], code: 'RC_ERR_WIRE_INVALID', field: 'entries[0].tag' },
    { name: 'bitmap shorter than its fragment count says', entries: [{ tag: 2, a: 4, b: 65535, bitmap: new Uint8Array(8) }], code: 'RC_ERR_WIRE_TRUNCATED', field: 'entries[0].bitmap' },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.code} (${c.field})`, () => {
      const bytes = raw({ ...rawFrom(report([])), entryCount: c.entries.length, entries: c.entries });
      assertWireError(() => decodeNakReport(bytes), c.code, c.field);
    });
  }

  test('the boundaries just inside those cases decode', () => {
    const ok = (entries: Entries): NakReport => decodeNakReport(raw({ ...rawFrom(report([])), entryCount: entries.length, entries }));
    assert.equal(ok([{ tag: 1, a: 0xfffffffe, b: 1 }]).entries.length, 1);
    assert.equal(ok([{ tag: 1, a: 0, b: 0xffffffff }]).entries.length, 1);
    assert.equal(ok([{ tag: 1, a: 0, b: 5 }, { tag: 2, a: 5, b: 1, bitmap: bitmap1 }, { tag: 1, a: 6, b: 1 }]).entries.length, 3);
    assert.equal(ok([{ tag: 2, a: 3, b: 1, bitmap: bitmap1 }, { tag: 2, a: 4, b: 1, bitmap: bitmap1 }]).entries.length, 2);
  });
});
