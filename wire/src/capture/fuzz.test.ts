import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { equalBytes } from '../equal-bytes.js';
import { isWireError } from '../wire-error.js';
import { HashAlgorithm } from '../manifest/manifest.js';
import { decodeBaseFingerprints, encodeBaseFingerprints, type BaseFingerprints, type BlockFingerprint } from './base-fingerprints.js';
import { parseCapturedConfig } from './parse-captured-config.js';
import { SAMPLE_CAPTURED_CONFIG } from './sample-captured-config.js';
import { mulberry32, int, pick, randomBytes, type Rng } from '../fuzz-random.js';

/*
 * Bounded, deterministic fuzzing of the capture decoders. Every input must either decode to a
 * value that re-encodes to the same bytes, or throw a WireError; anything else (RangeError,
 * TypeError, a hang) fails the test and prints the input. Half the mutated inputs are re-sealed
 * with a correct trailing SHA-256 so that they get past the checksum into the parser.
 */

const SEED = 0x5eed_cafe;
const RANDOM_INPUTS = 20_000;
const MUTATED_INPUTS = 100_000;
const CONFIG_INPUTS = 20_000;
const TIME_LIMIT_MS = 60_000;

function seal(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  if (out.byteLength >= 32) out.set(createHash('sha256').update(out.subarray(0, out.byteLength - 32)).digest(), out.byteLength - 32);
  return out;
}

function randomFingerprints(rng: Rng): BaseFingerprints {
  const blockSize = pick(rng, [4096, 65536, 262144]);
  const far = rng() < 0.2;
  const diskSize = far ? pick(rng, [2 ** 50, Number.MAX_SAFE_INTEGER]) : int(rng, 0, 16) * blockSize + int(rng, 0, blockSize);
  const blocks: BlockFingerprint[] = [];
  let at = far ? diskSize - 10 * blockSize : 0;
  for (let i = int(rng, 0, 10); i > 0; i--) {
    at += rng() < 0.3 ? int(rng, 0, 2 * blockSize) : 0;
    const length = Math.min(rng() < 0.7 ? blockSize : int(rng, 1, blockSize), diskSize - at);
    if (length < 1) break;
    blocks.push({ offset: at, length, prefix: randomBytes(rng, 8) });
    at += length;
  }
  return { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize, diskSize, baseDigest: randomBytes(rng, 32), blocks };
}

function mutate(rng: Rng, input: Uint8Array): Uint8Array {
  let bytes = input.slice();
  for (let k = int(rng, 1, 3); k > 0; k--) {
    const n = bytes.byteLength;
    const p = int(rng, 0, Math.max(0, n - 1));
    switch (int(rng, 0, 4)) {
      case 0: if (n > 0) bytes[p] = (bytes[p] ?? 0) ^ (1 << int(rng, 0, 7)); break;
      case 1: if (n > 0) bytes[p] = pick(rng, [0, 1, 0x7f, 0x80, 0xff]); break;
      case 2: bytes = bytes.slice(0, int(rng, 0, n)); break;
      case 3: { const extra = randomBytes(rng, int(rng, 1, 24)); const out = new Uint8Array(n + extra.byteLength); out.set(bytes.subarray(0, p)); out.set(extra, p); out.set(bytes.subarray(p), p + extra.byteLength); bytes = out; break; }
      default: { const at = pick(rng, [8, 12, 52, 56, 64, 76]); if (at + 4 <= n) new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, pick(rng, [0, 1, 0xffffffff, 0x80000000, 511, 512])); }
    }
  }
  return rng() < 0.5 ? seal(bytes) : bytes;
}

function check(input: Uint8Array): 'ok' | 'refused' {
  try {
    const value = decodeBaseFingerprints(input);
    const again = encodeBaseFingerprints(value);
    assert.ok(equalBytes(again, input), `re-encoding differs for ${Buffer.from(input).toString('hex')}`);
    return 'ok';
  } catch (err) {
    if (isWireError(err)) return 'refused';
    throw new Error(`decoder threw a non-WireError for ${Buffer.from(input).toString('hex')}: ${String(err)}`);
  }
}

test('base fingerprint decoder: 20,000 random and 100,000 mutated inputs decode canonically or throw a WireError', () => {
  const rng = mulberry32(SEED);
  const started = Date.now();
  const corpus = Array.from({ length: 64 }, () => encodeBaseFingerprints(randomFingerprints(rng)));
  for (const c of corpus) assert.equal(check(c), 'ok');
  let decoded = 0;
  for (let i = 0; i < RANDOM_INPUTS && Date.now() - started < TIME_LIMIT_MS; i++) {
    const bytes = randomBytes(rng, int(rng, 0, 200));
    if (check(rng() < 0.5 ? seal(bytes) : bytes) === 'ok') decoded++;
  }
  let mutated = 0;
  for (let i = 0; i < MUTATED_INPUTS && Date.now() - started < TIME_LIMIT_MS; i++, mutated++) {
    if (check(mutate(rng, pick(rng, corpus))) === 'ok') decoded++;
  }
  assert.equal(mutated, MUTATED_INPUTS, 'the time limit cut the run short');
  // Some mutations (a flipped prefix bit, re-sealed) stay valid: the parser behind the checksum is exercised.
  assert.ok(decoded > 100, `only ${decoded} inputs decoded`);
});

/** A JSON value near the sample: one field replaced by an odd value, deleted, or nested junk. */
function mutateJson(rng: Rng, value: unknown, depth = 0): unknown {
  if (Array.isArray(value)) {
    if (rng() < 0.15) return pick(rng, [null, 'x', 7, {}]);
    return value.map((v) => (rng() < 0.3 ? mutateJson(rng, v, depth + 1) : v));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(out);
    const key = pick(rng, keys);
    if (key === undefined) return out;
    const roll = rng();
    if (roll < 0.2) return Object.fromEntries(Object.entries(out).filter(([k]) => k !== key));
    else if (roll < 0.5) out[key] = pick(rng, [null, -1, 1.5, 2 ** 60, '', 'a\u0000b', 'x'.repeat(2000), [], {}, true, '10.0.0.999/99', 'ZZ:00']);
    else out[key] = mutateJson(rng, out[key], depth + 1);
    if (rng() < 0.05) out['__proto__'] = { polluted: true };
    return out;
  }
  return rng() < 0.5 ? value : pick(rng, [null, 0, '', 'y', false]);
}

test('captured configuration parser: 20,000 mutated values give a valid config or a WireError', () => {
  const rng = mulberry32(SEED + 1);
  let accepted = 0;
  for (let i = 0; i < CONFIG_INPUTS; i++) {
    const input = mutateJson(rng, JSON.parse(JSON.stringify(SAMPLE_CAPTURED_CONFIG)));
    try {
      const parsed = parseCapturedConfig(input);
      // What was accepted survives a JSON round trip unchanged and parses to itself.
      assert.deepStrictEqual(parseCapturedConfig(JSON.parse(JSON.stringify(parsed))), parsed);
      accepted++;
    } catch (err) {
      if (!isWireError(err)) throw new Error(`parser threw a non-WireError for ${JSON.stringify(input).slice(0, 400)}: ${String(err)}`);
    }
  }
  assert.ok(accepted > 0 && accepted < CONFIG_INPUTS, `accepted ${accepted}`);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});
