import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { equalBytes } from '../equal-bytes.js';
import { WireError } from '../wire-error.js';
import { openBlock, sealBlock, SESSION_KEY_LENGTH } from './block-seal.js';
import {
  DatagramType, FinishReason, SenderPhase, decodeDatagram, encodeDatagram,
  type Datagram, type DatagramHeader, type DatagramTypeId,
} from './datagram.js';
import { MAX_NAK_ENTRIES, decodeNakReport, encodeNakReport, type NakEntry, type NakReport } from './nak-report.js';
import { mulberry32, int, pick, randomBytes, hex, splice, type Rng } from '../fuzz-random.js';

/*
 * Bounded, deterministic fuzzing of the block-stream decoders. Every input must either decode
 * to a value that is valid, re-encodes to the input's canonical form (reserved bytes and unknown
 * flag bits zeroed: the decoders ignore them) and decodes again to the same value, or throw a
 * WireError. Anything else (RangeError, TypeError, a hang) fails the test and prints the input
 * in hex with the seed and the mutation that produced it.
 *
 * Per decoder: RANDOM_INPUTS random byte strings plus MUTATED_INPUTS mutations of valid
 * encodings; openBlock gets SEAL_INPUTS random and mutated sealed blocks.
 */

const SEED = 0xb10c_5eed;
const RANDOM_INPUTS = 30_000;
const MUTATED_INPUTS = 100_000;
const SEAL_INPUTS = 10_000;
const TIME_LIMIT_MS = 60_000;
const CORPUS_SIZE = 64;

// ---------------------------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------------------------

const u32 = (rng: Rng): number => (rng() < 0.15 ? pick(rng, [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]) : Math.floor(rng() * 2 ** 32));

// ---------------------------------------------------------------------------------------------
// Mutations (the same families as wire/src/manifest/fuzz.test.ts)
// ---------------------------------------------------------------------------------------------

/** A fixed-width big-endian field of an encoding, overwritten by the "extreme value" mutation. */
interface Field {
  at: number;
  width: number;
}

const EXTREMES: readonly number[] = [
  0, 1, 2, 3, 4, 5, 7, 8, 9, 0x7f, 0x80, 0xff, 0x100, 1436, 1472, 8936, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x10000,
  MAX_NAK_ENTRIES, MAX_NAK_ENTRIES + 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];

function writeBE(bytes: Uint8Array, at: number, width: number, value: number): void {
  let v = BigInt.asUintN(8 * width, BigInt(value));
  for (let k = width - 1; k >= 0; k--, v >>= 8n) {
    if (at + k < bytes.byteLength) bytes[at + k] = Number(v & 0xffn);
  }
}

function mutateOnce(rng: Rng, input: Uint8Array, fields: readonly Field[]): [Uint8Array, string] {
  const bytes = input.slice();
  const n = bytes.byteLength;
  const pos = (): number => int(rng, 0, Math.max(0, n - 1));
  switch (int(rng, 0, 8)) {
    case 0: {
      const flips = int(rng, 1, 4);
      for (let k = 0; k < flips && n > 0; k++) {
        const p = pos();
        bytes[p] = (bytes[p] ?? 0) ^ (1 << int(rng, 0, 7));
      }
      return [bytes, `flip ${flips} bits`];
    }
    case 1: {
      const p = pos();
      if (n > 0) bytes[p] = int(rng, 0, 255);
      return [bytes, `set byte ${p}`];
    }
    case 2: {
      const p = int(rng, 0, n);
      const k = int(rng, 1, 8);
      return [splice(bytes, p, 0, randomBytes(rng, k)), `insert ${k} at ${p}`];
    }
    case 3: {
      const p = int(rng, 0, n);
      const k = Math.min(int(rng, 1, 8), n - p);
      return [splice(bytes, p, k, new Uint8Array(0)), `delete ${k} at ${p}`];
    }
    case 4: {
      const len = int(rng, 0, n);
      return [bytes.slice(0, len), `truncate to ${len}`];
    }
    case 5:
    case 6: {
      // Overwrite a known field (or, one time in four, any position) with an extreme value.
      const known = fields.length > 0 && rng() < 0.75;
      const f: Field = known ? pick(rng, fields) : { at: pos(), width: pick(rng, [1, 2, 4]) };
      const value = rng() < 0.8 ? pick(rng, EXTREMES) : Math.floor(rng() * 2 ** 32);
      writeBE(bytes, f.at, f.width, value);
      return [bytes, `field@${f.at}/${f.width} = ${value}`];
    }
    case 7: {
      // Duplicate a region elsewhere (e.g. an extra NAK entry).
      const p = pos();
      const k = Math.min(int(rng, 1, 32), n - p);
      const to = int(rng, 0, n);
      return [splice(bytes, to, 0, bytes.slice(p, p + k)), `duplicate ${k} from ${p} to ${to}`];
    }
    default: {
      const k = int(rng, 1, 32);
      return [splice(bytes, n, 0, randomBytes(rng, k)), `append ${k}`];
    }
  }
}

function mutate(rng: Rng, input: Uint8Array, fields: readonly Field[]): [Uint8Array, string] {
  let bytes = input;
  const steps: string[] = [];
  const rounds = rng() < 0.7 ? 1 : int(rng, 2, 4);
  for (let k = 0; k < rounds; k++) {
    const [next, what] = mutateOnce(rng, bytes, fields);
    bytes = next;
    steps.push(what);
  }
  return [bytes, steps.join(', ')];
}

// ---------------------------------------------------------------------------------------------
// Datagrams: corpus, fields, and the check of a decoded value
// ---------------------------------------------------------------------------------------------

const HEADER_FIELDS: readonly Field[] = [
  { at: 0, width: 4 }, { at: 4, width: 1 }, { at: 5, width: 1 }, { at: 6, width: 2 },
  { at: 8, width: 4 }, { at: 12, width: 4 }, { at: 16, width: 4 }, { at: 20, width: 4 },
];
const BODY_FIELDS: Readonly<Record<DatagramTypeId, readonly Field[]>> = {
  1: [{ at: 24, width: 4 }, { at: 28, width: 2 }, { at: 30, width: 2 }, { at: 32, width: 4 }],
  2: [{ at: 24, width: 4 }, { at: 28, width: 2 }, { at: 30, width: 1 }, { at: 31, width: 1 }, { at: 32, width: 4 }, { at: 36, width: 4 }],
  3: [{ at: 24, width: 4 }, { at: 28, width: 4 }],
  4: [{ at: 24, width: 1 }, { at: 25, width: 3 }],
};
/** Bytes the decoder ignores (documented as reserved, 0) per type, besides the header's 6..7. */
const RESERVED: Readonly<Record<DatagramTypeId, readonly number[]>> = { 1: [6, 7], 2: [6, 7, 31], 3: [6, 7], 4: [6, 7, 25, 26, 27] };

function randomDatagram(rng: Rng): Datagram {
  const header: DatagramHeader = { sessionId: u32(rng), senderId: u32(rng), sequence: u32(rng), pass: rng() < 0.8 ? int(rng, 1, 20) : u32(rng) };
  switch (int(rng, 1, 4)) {
    case 1: {
      const fragmentCount = rng() < 0.5 ? int(rng, 1, 12) : pick(rng, [1, 2, 255, 256, 0xffff]);
      const fragmentIndex = rng() < 0.5 ? fragmentCount - 1 : int(rng, 0, fragmentCount - 1);
      const length = rng() < 0.9 ? int(rng, 1, 64) : pick(rng, [1, 1435, 1436, 8936]);
      const sealedLength = rng() < 0.3 ? length : Math.min(0xffffffff, length + (rng() < 0.5 ? int(rng, 0, 100_000) : u32(rng)));
      return { type: DatagramType.Data, ...header, blockIndex: u32(rng), fragmentIndex, fragmentCount, sealedLength, payload: randomBytes(rng, length) };
    }
    case 2:
      return {
        type: DatagramType.Announce, ...header, blockCount: u32(rng), fragmentSize: rng() < 0.7 ? pick(rng, [1436, 8936, 64]) : int(rng, 1, 0xffff),
        phase: pick(rng, Object.values(SenderPhase)), position: u32(rng), sent: u32(rng),
      };
    case 3:
      return { type: DatagramType.PassEnd, ...header, fragmentsSent: u32(rng), lastSequence: u32(rng) };
    default:
      return { type: DatagramType.Finish, ...header, reason: pick(rng, Object.values(FinishReason)) };
  }
}

/** Throws unless a decoded datagram satisfies what the decoder promises. */
function checkDatagramValue(d: Datagram): void {
  const u32s: number[] = [d.sessionId, d.senderId, d.sequence, d.pass];
  switch (d.type) {
    case DatagramType.Data:
      u32s.push(d.blockIndex, d.sealedLength);
      if (!(d.fragmentCount >= 1 && d.fragmentCount <= 0xffff && d.fragmentIndex < d.fragmentCount)) throw new Error(`fragment ${d.fragmentIndex} of ${d.fragmentCount}`);
      if (!(d.payload.byteLength >= 1 && d.payload.byteLength <= d.sealedLength)) throw new Error(`payload ${d.payload.byteLength} of ${d.sealedLength}`);
      break;
    case DatagramType.Announce:
      u32s.push(d.blockCount, d.position, d.sent);
      if (!(d.fragmentSize >= 1 && d.fragmentSize <= 0xffff)) throw new Error(`fragment size ${d.fragmentSize}`);
      if (!(Object.values(SenderPhase) as number[]).includes(d.phase)) throw new Error(`phase ${d.phase}`);
      break;
    case DatagramType.PassEnd:
      u32s.push(d.fragmentsSent, d.lastSequence);
      break;
    case DatagramType.Finish:
      if (!(Object.values(FinishReason) as number[]).includes(d.reason)) throw new Error(`reason ${d.reason}`);
      break;
    default:
      throw new Error(`type ${(d as { type: unknown }).type}`);
  }
  for (const v of u32s) if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new Error(`not a u32: ${v}`);
}

/** The input with the bytes the decoder ignores zeroed: what the encoder must give back. */
function canonicalDatagram(input: Uint8Array, type: DatagramTypeId): Uint8Array {
  const out = input.slice();
  for (const at of RESERVED[type]) out[at] = 0;
  return out;
}

function recheckDatagram(d: Datagram, input: Uint8Array): void {
  checkDatagramValue(d);
  const again = encodeDatagram(d);
  if (!equalBytes(again, canonicalDatagram(input, d.type))) throw new Error(`re-encoding differs from the canonical input: ${hex(again)}`);
  const redecoded = decodeDatagram(again);
  assert.deepStrictEqual(redecoded, { ...d, ...(d.type === DatagramType.Data ? { payload: new Uint8Array(d.payload) } : {}) });
}

// ---------------------------------------------------------------------------------------------
// NAK reports
// ---------------------------------------------------------------------------------------------

function randomNakReport(rng: Rng): NakReport {
  const entries: NakEntry[] = [];
  const count = rng() < 0.1 ? 0 : int(rng, 1, rng() < 0.8 ? 12 : 200);
  let next = rng() < 0.1 ? 0xffffff00 : int(rng, 0, 1000);
  for (let i = 0; i < count && next <= 0xfffffffe; i++) {
    next += rng() < 0.5 ? 0 : int(rng, 1, 50);
    if (next > 0xfffffffe) break;
    if (rng() < 0.5) {
      const n = int(rng, 1, Math.min(rng() < 0.9 ? 100 : 0xffffffff, 0xffffffff - next));
      entries.push({ kind: 'blocks', first: next, count: n });
      next += n;
    } else {
      const fragmentCount = rng() < 0.95 ? int(rng, 1, 70) : pick(rng, [1436, 0xffff]);
      entries.push({ kind: 'fragments', block: next, fragmentCount, bitmap: randomBytes(rng, Math.ceil(fragmentCount / 8)) });
      next += 1;
    }
  }
  return { pass: rng() < 0.8 ? int(rng, 1, 20) : u32(rng), complete: entries.length === 0 && rng() < 0.7, received: u32(rng), sent: u32(rng), entries };
}

function nakFields(r: NakReport): Field[] {
  const fields: Field[] = [
    { at: 0, width: 4 }, { at: 4, width: 1 }, { at: 5, width: 1 }, { at: 6, width: 2 },
    { at: 8, width: 4 }, { at: 12, width: 4 }, { at: 16, width: 4 }, { at: 20, width: 4 },
  ];
  let at = 24;
  for (const e of r.entries) {
    fields.push({ at, width: 1 }, { at: at + 1, width: 4 });
    if (e.kind === 'blocks') {
      fields.push({ at: at + 5, width: 4 });
      at += 9;
    } else {
      fields.push({ at: at + 5, width: 2 });
      at += 7 + e.bitmap.byteLength;
    }
  }
  return fields;
}

function checkNakValue(r: NakReport): void {
  for (const v of [r.pass, r.received, r.sent]) if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new Error(`not a u32: ${v}`);
  if (r.entries.length > MAX_NAK_ENTRIES) throw new Error(`${r.entries.length} entries`);
  let next = 0;
  r.entries.forEach((e, i) => {
    if (e.kind === 'blocks') {
      if (!(e.count >= 1 && e.first >= next && e.first + e.count <= 0xffffffff)) throw new Error(`entries[${i}]: run ${e.first}+${e.count} after ${next}`);
      next = e.first + e.count;
    } else {
      if (!(e.fragmentCount >= 1 && e.fragmentCount <= 0xffff && e.block >= next)) throw new Error(`entries[${i}]: block ${e.block}/${e.fragmentCount} after ${next}`);
      if (e.bitmap.byteLength !== Math.ceil(e.fragmentCount / 8)) throw new Error(`entries[${i}]: bitmap ${e.bitmap.byteLength}`);
      next = e.block + 1;
    }
  });
}

function recheckNak(r: NakReport, input: Uint8Array): void {
  checkNakValue(r);
  const again = encodeNakReport(r);
  // Canonical form: unknown flag bits (all but bit 0, complete, and bit 1, interim) and the
  // reserved u16 are ignored by the decoder.
  const canonical = input.slice();
  canonical[5] = (canonical[5] ?? 0) & 3;
  canonical[6] = 0;
  canonical[7] = 0;
  if (!equalBytes(again, canonical)) throw new Error(`re-encoding differs from the canonical input: ${hex(again)}`);
  assert.deepStrictEqual(decodeNakReport(again), r);
}

// ---------------------------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------------------------

interface Target<T> {
  readonly name: string;
  /** The bytes a real input starts with (magic, version), planted into some random inputs. */
  readonly prefixes: readonly Uint8Array[];
  decode(bytes: Uint8Array): T;
  recheck(value: T, input: Uint8Array): void;
  /** Nudges a random input toward deeper code (e.g. a small entry count). */
  shape?(rng: Rng, input: Uint8Array): void;
  readonly corpus: readonly { encoded: Uint8Array; fields: readonly Field[] }[];
}

interface Tally {
  inputs: number;
  decoded: number;
  codes: Map<string, number>;
  kinds: Map<string, number>;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.stack ?? err.message : String(err);
}

function failWith(name: string, kind: string, n: number, input: Uint8Array, reason: string): never {
  assert.fail(`${name}: ${kind} input #${n} (seed ${SEED}): ${reason}\ninput (${input.byteLength} bytes): ${hex(input)}`);
}

function runTarget<T>(t: TestContext, target: Target<T>, rng: Rng, kindOf: (value: T) => string): Tally {
  const started = Date.now();
  const tally: Tally = { inputs: 0, decoded: 0, codes: new Map(), kinds: new Map() };

  const check = (input: Uint8Array, kind: string, n: number): void => {
    if ((tally.inputs & 1023) === 0 && Date.now() - started > TIME_LIMIT_MS) {
      assert.fail(`${target.name}: fuzzing exceeded ${TIME_LIMIT_MS} ms after ${tally.inputs} inputs`);
    }
    tally.inputs++;
    let value: T;
    try {
      value = target.decode(input);
    } catch (err) {
      if (err instanceof WireError && err.code.startsWith('RC_ERR_WIRE_')) {
        tally.codes.set(err.code, (tally.codes.get(err.code) ?? 0) + 1);
        return;
      }
      failWith(target.name, kind, n, input, `decode threw a non-WireError: ${describeError(err)}`);
    }
    tally.decoded++;
    const k = kindOf(value);
    tally.kinds.set(k, (tally.kinds.get(k) ?? 0) + 1);
    try {
      target.recheck(value, input);
    } catch (err) {
      failWith(target.name, kind, n, input, `decoded, but the value is invalid or does not re-encode: ${describeError(err)}`);
    }
  };

  for (let n = 0; n < RANDOM_INPUTS; n++) {
    const length = rng() < 0.5 ? int(rng, 0, 48) : int(rng, 0, 300);
    const input = randomBytes(rng, length);
    // Most start like the real thing, so the checks behind magic and version are reached.
    if (rng() < 0.7) {
      const prefix = pick(rng, target.prefixes);
      input.set(prefix.subarray(0, Math.min(length, prefix.byteLength)));
      target.shape?.(rng, input);
    }
    check(input, 'random', n);
  }

  for (let n = 0; n < MUTATED_INPUTS; n++) {
    const { encoded, fields } = target.corpus[n % target.corpus.length] as { encoded: Uint8Array; fields: readonly Field[] };
    const [input, what] = mutate(rng, encoded, fields);
    check(input, `mutated (${what}) corpus[${n % target.corpus.length}]`, n);
  }

  const elapsed = Date.now() - started;
  const list = (m: Map<string, number>): string => [...m].sort().map(([k, v]) => `${k}=${v}`).join(' ');
  t.diagnostic(`${target.name}: ${tally.inputs} inputs in ${elapsed} ms; ${tally.decoded} decoded (${list(tally.kinds)}); ${list(tally.codes)}`);
  return tally;
}

function assertCoverage(tally: Tally, kinds: readonly string[]): void {
  assert.equal(tally.inputs, RANDOM_INPUTS + MUTATED_INPUTS);
  for (const code of ['RC_ERR_WIRE_TRUNCATED', 'RC_ERR_WIRE_BAD_MAGIC', 'RC_ERR_WIRE_UNSUPPORTED_VERSION', 'RC_ERR_WIRE_INVALID']) {
    assert.ok((tally.codes.get(code) ?? 0) > 100, `the fuzzer rarely produced ${code}`);
  }
  assert.ok(tally.decoded > 5000, `only ${tally.decoded} inputs decoded`);
  for (const k of kinds) assert.ok((tally.kinds.get(k) ?? 0) > 100, `only ${tally.kinds.get(k) ?? 0} decoded as ${k}`);
}

// ---------------------------------------------------------------------------------------------

describe('bounded fuzzing of the block-stream decoders', () => {
  const corpusRng = mulberry32(SEED);
  const datagrams = Array.from({ length: CORPUS_SIZE }, () => randomDatagram(corpusRng));
  const reports = Array.from({ length: CORPUS_SIZE }, () => randomNakReport(corpusRng));

  test('the corpus itself round-trips', () => {
    for (const d of datagrams) recheckDatagram(decodeDatagram(encodeDatagram(d)), encodeDatagram(d));
    for (const r of reports) assert.deepStrictEqual(decodeNakReport(encodeNakReport(r)), r);
    assert.deepStrictEqual(new Set(datagrams.map((d) => d.type)), new Set([1, 2, 3, 4]));
  });

  test(`decodeDatagram: ${RANDOM_INPUTS + MUTATED_INPUTS} random and mutated inputs`, (t) => {
    const prefixes = [1, 2, 3, 4, 1, 2, 3, 4, 0, 5, 0xff].map((type) => Uint8Array.from([0x52, 0x43, 0x42, 0x53, 1, type, 0, 0]));
    prefixes.push(Uint8Array.from([0x52, 0x43, 0x42, 0x53, 2, 1]));
    const target: Target<Datagram> = {
      name: 'decodeDatagram',
      prefixes,
      decode: decodeDatagram,
      recheck: recheckDatagram,
      shape(rng, input) {
        // Plausible DATA fragment numbers, so payload checks are reached.
        if (input[5] === DatagramType.Data && input.byteLength >= 36 && rng() < 0.5) {
          const count = int(rng, 1, 8);
          writeBE(input, 28, 2, int(rng, 0, count - 1));
          writeBE(input, 30, 2, count);
          writeBE(input, 32, 4, rng() < 0.5 ? input.byteLength - 36 + int(rng, -2, 2) : u32(rng));
        }
        // Plausible phase, fragment size and reason.
        if (input[5] === DatagramType.Announce && input.byteLength >= 31 && rng() < 0.7) input[30] = int(rng, 0, 5);
        if (input[5] === DatagramType.Finish && input.byteLength >= 25 && rng() < 0.7) input[24] = int(rng, 0, 3);
      },
      corpus: datagrams.map((d) => ({ encoded: encodeDatagram(d), fields: [...HEADER_FIELDS, ...BODY_FIELDS[d.type]] })),
    };
    const tally = runTarget(t, target, mulberry32(SEED + 1), (d) => `type${d.type}`);
    assertCoverage(tally, ['type1', 'type2', 'type3', 'type4']);
  });

  test(`decodeNakReport: ${RANDOM_INPUTS + MUTATED_INPUTS} random and mutated inputs`, (t) => {
    const target: Target<NakReport> = {
      name: 'decodeNakReport',
      prefixes: [Uint8Array.from([0x52, 0x43, 0x4e, 0x4b, 1]), Uint8Array.from([0x52, 0x43, 0x4e, 0x4b, 1]), Uint8Array.from([0x52, 0x43, 0x4e, 0x4b, 0])],
      decode: decodeNakReport,
      recheck: recheckNak,
      shape(rng, input) {
        // A small entry count and plausible tags, so entry parsing is reached.
        if (input.byteLength >= 24 && rng() < 0.8) writeBE(input, 20, 4, int(rng, 0, 4));
        if (input.byteLength >= 25 && rng() < 0.8) input[24] = int(rng, 0, 3);
      },
      corpus: reports.map((r) => ({ encoded: encodeNakReport(r), fields: nakFields(r) })),
    };
    const tally = runTarget(t, target, mulberry32(SEED + 2), (r) => (r.entries.length === 0 ? 'empty' : 'entries'));
    assertCoverage(tally, ['empty', 'entries']);
  });

  test(`openBlock: ${SEAL_INPUTS} random and mutated sealed blocks throw only WireError`, (t) => {
    const rng = mulberry32(SEED + 3);
    const started = Date.now();
    const key = new Uint8Array(createHash('sha256').update('fuzz key').digest());
    const blocks = Array.from({ length: 16 }, (_, i) => {
      const frame = randomBytes(rng, pick(rng, [0, 1, 5, int(rng, 0, 200), 1436]));
      const sessionId = u32(rng);
      const blockIndex = i * 1000 + int(rng, 0, 999);
      return { sessionId, blockIndex, frame, sealed: new Uint8Array(sealBlock(key, sessionId, blockIndex, frame)) };
    });
    const codes = new Map<string, number>();
    let opened = 0;
    for (let n = 0; n < SEAL_INPUTS; n++) {
      if ((n & 255) === 0 && Date.now() - started > TIME_LIMIT_MS) assert.fail(`openBlock: fuzzing exceeded ${TIME_LIMIT_MS} ms after ${n} inputs`);
      const b = blocks[n % blocks.length] as (typeof blocks)[number];
      let useKey: Uint8Array = key;
      let { sessionId, blockIndex } = b;
      let input: Uint8Array;
      let what: string;
      const mode = rng();
      if (mode < 0.35) {
        input = randomBytes(rng, rng() < 0.5 ? int(rng, 0, 40) : int(rng, 0, 2000));
        what = 'random';
      } else if (mode < 0.8) {
        [input, what] = mutate(rng, b.sealed, []);
      } else if (mode < 0.9) {
        input = b.sealed;
        useKey = rng() < 0.5 ? randomBytes(rng, pick(rng, [0, 1, 16, 24, 31, 33, 64])) : randomBytes(rng, SESSION_KEY_LENGTH);
        what = `key of ${useKey.byteLength} bytes`;
      } else if (mode < 0.95) {
        input = b.sealed;
        if (rng() < 0.5) sessionId = (sessionId + int(rng, 1, 0xffffffff)) >>> 0;
        else blockIndex = (blockIndex + int(rng, 1, 0xffffffff)) >>> 0;
        what = 'other session or block';
      } else {
        input = b.sealed;
        what = 'intact';
      }
      try {
        const frame = openBlock(useKey, sessionId, blockIndex, input);
        // Only an intact block (or a mutation that changed nothing) may open, to its frame.
        if (useKey !== key || sessionId !== b.sessionId || blockIndex !== b.blockIndex || !equalBytes(input, b.sealed) || !equalBytes(frame, b.frame)) {
          failWith('openBlock', what, n, input, 'a damaged or foreign sealed block opened');
        }
        opened++;
      } catch (err) {
        if (!(err instanceof WireError)) failWith('openBlock', what, n, input, `threw a non-WireError: ${describeError(err)}`);
        codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
      }
    }
    const list = [...codes].sort().map(([k, v]) => `${k}=${v}`).join(' ');
    t.diagnostic(`openBlock: ${SEAL_INPUTS} inputs in ${Date.now() - started} ms; ${opened} opened; ${list}`);
    assert.ok(opened > 100, `only ${opened} intact blocks opened`);
    for (const code of ['RC_ERR_WIRE_CHECKSUM', 'RC_ERR_WIRE_TRUNCATED', 'RC_ERR_WIRE_INVALID']) assert.ok((codes.get(code) ?? 0) > 20, `rarely ${code}`);
  });
});
