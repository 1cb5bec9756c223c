import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { equalBytes } from '../equal-bytes.js';
import { WireError } from '../wire-error.js';
import { composeVersion, diffManifests, type DeltaBlock, type ManifestDelta } from './compose.js';
import { decodeManifestDelta, encodeManifestDelta } from './delta-codec.js';
import { HashAlgorithm, type BlockEntry, type Manifest } from './manifest.js';
import { decodeManifest, encodeManifest, manifestDigest } from './manifest-codec.js';
import { validateManifest } from './validate-manifest.js';
import { mulberry32, int, pick, randomBytes, hex, splice, type Rng } from '../fuzz-random.js';

/*
 * Bounded, deterministic fuzzing of the two decoders. Every input must either decode to a value
 * that re-encodes to the same bytes and validates again, or throw a WireError with an RC_ERR_
 * code; anything else (RangeError, TypeError, a hang) fails the test and prints the input in hex.
 *
 * Per decoder: RANDOM_INPUTS random byte strings plus MUTATED_INPUTS mutations of valid
 * encodings. Half of each are re-sealed with a correct trailing SHA-256, so most of them get past
 * the checksum and exercise the parser behind it.
 */

const SEED = 0x5eed_f022;
const RANDOM_INPUTS = 20_000;
const MUTATED_INPUTS = 100_000;
const TIME_LIMIT_MS = 60_000;
const CORPUS_SIZE = 64;

// ---------------------------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------------------------

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

function seal(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.byteLength + 32);
  out.set(body);
  out.set(sha256(body), body.byteLength);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Corpus of valid values
// ---------------------------------------------------------------------------------------------

function randomManifest(rng: Rng): Manifest {
  const blockSize = pick(rng, [4096, 8192, 65536, 1024 * 1024]);
  const far = rng() < 0.2; // place blocks near 2^50 .. 2^53 to exercise u64 handling
  const diskSize = far ? pick(rng, [2 ** 50, Number.MAX_SAFE_INTEGER, 2 ** 52 + 12345]) : int(rng, 0, 12) * blockSize + int(rng, 0, blockSize);
  const blocks: BlockEntry[] = [];
  let at = far ? diskSize - int(rng, 4, 8) * blockSize : 0;
  const count = int(rng, 0, 8);
  for (let i = 0; i < count; i++) {
    at += rng() < 0.3 ? int(rng, 0, 2 * blockSize) : 0;
    const length = Math.min(rng() < 0.6 ? blockSize : int(rng, 1, blockSize), diskSize - at);
    if (length < 1) break;
    blocks.push({ index: blocks.length, offset: at, length, hash: randomBytes(rng, 32) });
    at += length;
  }
  const head = randomBytes(rng, pick(rng, [0, 0, 3, 40, 512]));
  const tail = randomBytes(rng, pick(rng, [0, 0, 1, 16]));
  return { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize, diskSize, partitionTable: { head, tail }, blocks };
}

/** A delta from a random edit of `base`, or one with arbitrary items (the codec does not judge them). */
function randomDelta(rng: Rng, base: Manifest): ManifestDelta {
  const digest = manifestDigest(encodeManifest(base));
  if (rng() < 0.6) {
    const blocks = base.blocks
      .filter(() => rng() < 0.8)
      .map((b, index) => (rng() < 0.3 ? { ...b, index, hash: randomBytes(rng, 32) } : { ...b, index }));
    return diffManifests(base, digest, { ...base, blocks });
  }
  const items: DeltaBlock[] = Array.from({ length: int(rng, 0, 8) }, () => (rng() < 0.5
    ? { kind: 'ref', baseIndex: int(rng, 0, 10), count: int(rng, 0, 5) }
    : { kind: 'new', offset: int(rng, 0, 2 ** 40), length: int(rng, 0, 70000), hash: randomBytes(rng, 32) }));
  const { hashAlgorithm, blockSize, diskSize, partitionTable } = base;
  return { baseDigest: digest, hashAlgorithm, blockSize, diskSize, partitionTable, blocks: items };
}

/** A fixed-width big-endian field of an encoding, overwritten by the "extreme value" mutation. */
interface Field {
  at: number;
  width: 1 | 2 | 4 | 8;
}

function manifestFields(m: Manifest): Field[] {
  const fields: Field[] = [
    { at: 0, width: 4 }, { at: 4, width: 2 }, { at: 6, width: 1 }, { at: 7, width: 1 }, { at: 8, width: 4 },
    { at: 12, width: 8 }, { at: 20, width: 4 }, { at: 24, width: 4 }, { at: 28, width: 4 },
  ];
  const start = 32 + m.partitionTable.head.byteLength + m.partitionTable.tail.byteLength;
  m.blocks.forEach((_, i) => fields.push({ at: start + i * 44, width: 8 }, { at: start + i * 44 + 8, width: 4 }));
  return fields;
}

function deltaFields(d: ManifestDelta): Field[] {
  const fields: Field[] = [
    { at: 0, width: 4 }, { at: 4, width: 2 }, { at: 6, width: 1 }, { at: 7, width: 1 }, { at: 8, width: 4 },
    { at: 12, width: 8 }, { at: 20, width: 4 }, { at: 24, width: 4 }, { at: 60, width: 4 },
  ];
  let at = 64 + d.partitionTable.head.byteLength + d.partitionTable.tail.byteLength;
  for (const b of d.blocks) {
    fields.push({ at, width: 1 });
    if (b.kind === 'new') {
      fields.push({ at: at + 1, width: 8 }, { at: at + 9, width: 4 });
      at += 45;
    } else {
      fields.push({ at: at + 1, width: 4 }, { at: at + 5, width: 4 });
      at += 9;
    }
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

const EXTREMES: readonly bigint[] = [
  0n, 1n, 2n, 31n, 32n, 33n, 0x7fn, 0x80n, 0xffn, 511n, 512n, 4095n, 4096n, 4097n, 0xffffn, 0x10000n,
  16n * 1024n * 1024n, 16n * 1024n * 1024n + 512n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n,
  2n ** 50n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n,
];

function writeBig(bytes: Uint8Array, at: number, width: number, value: bigint): void {
  for (let k = width - 1, v = value; k >= 0; k--, v >>= 8n) {
    if (at + k < bytes.byteLength) bytes[at + k] = Number(v & 0xffn);
  }
}

/** One random mutation; returns a new array and a short description for failure reports. */
function mutateOnce(rng: Rng, input: Uint8Array, fields: readonly Field[]): [Uint8Array, string] {
  const bytes = input.slice();
  const n = bytes.byteLength;
  const pos = (): number => int(rng, 0, Math.max(0, n - 1));
  const op = int(rng, 0, 8);
  switch (op) {
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
      const f: Field = known ? pick(rng, fields) : { at: pos(), width: pick(rng, [1, 2, 4, 8] as const) };
      const value = rng() < 0.8 ? pick(rng, EXTREMES) : BigInt(int(rng, 0, 2 ** 40));
      writeBig(bytes, f.at, f.width, value);
      return [bytes, `field@${f.at}/${f.width} = ${value}`];
    }
    case 7: {
      // Duplicate a region elsewhere (e.g. an extra block entry).
      const p = pos();
      const k = Math.min(int(rng, 1, 64), n - p);
      const to = int(rng, 0, n);
      return [splice(bytes, to, 0, bytes.slice(p, p + k)), `duplicate ${k} from ${p} to ${to}`];
    }
    default: {
      const k = int(rng, 1, 64);
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
// The harness
// ---------------------------------------------------------------------------------------------

interface Target<T> {
  readonly name: string;
  readonly magicAndVersion: Uint8Array;
  decode(bytes: Uint8Array): T;
  /** Re-encodes a decoded value and re-validates it; throws if anything is off. */
  recheck(value: T, input: Uint8Array, corpusIndex: number): void;
  readonly corpus: readonly { encoded: Uint8Array; fields: readonly Field[] }[];
}

interface Tally {
  inputs: number;
  resealed: number;
  decoded: number;
  codes: Map<string, number>;
}

/** Decodes one input; returns a failure description, or undefined when the decoder behaved. */
function check<T>(target: Target<T>, input: Uint8Array, corpusIndex: number, tally: Tally): string | undefined {
  tally.inputs++;
  let value: T;
  try {
    value = target.decode(input);
  } catch (err) {
    if (err instanceof WireError && err.code.startsWith('RC_ERR_')) {
      tally.codes.set(err.code, (tally.codes.get(err.code) ?? 0) + 1);
      return undefined;
    }
    return `decode threw a non-WireError: ${err instanceof Error ? err.stack ?? err.message : String(err)}`;
  }
  tally.decoded++;
  try {
    target.recheck(value, input, corpusIndex);
  } catch (err) {
    return `decoded, but the value does not re-encode and re-validate: ${err instanceof Error ? err.stack ?? err.message : String(err)}`;
  }
  return undefined;
}

function failWith(target: { name: string }, kind: string, n: number, input: Uint8Array, reason: string): never {
  assert.fail(`${target.name}: ${kind} input #${n} (seed ${SEED}): ${reason}\ninput (${input.byteLength} bytes): ${hex(input)}`);
}

function runTarget<T>(t: TestContext, target: Target<T>, rng: Rng): Tally {
  const started = Date.now();
  const tally: Tally = { inputs: 0, resealed: 0, decoded: 0, codes: new Map() };
  const checkTime = (n: number): void => {
    if ((n & 1023) === 0 && Date.now() - started > TIME_LIMIT_MS) {
      assert.fail(`${target.name}: fuzzing exceeded ${TIME_LIMIT_MS} ms after ${tally.inputs} inputs`);
    }
  };

  for (let n = 0; n < RANDOM_INPUTS; n++) {
    checkTime(n);
    const length = rng() < 0.2 ? int(rng, 0, 100) : int(rng, 64, 400);
    let input = randomBytes(rng, length);
    // A third start like the real thing, so the header checks behind the magic are reached.
    if (rng() < 0.33) input.set(target.magicAndVersion.subarray(0, Math.min(length, target.magicAndVersion.byteLength)));
    if (n % 2 === 0 && input.byteLength >= 32) {
      input = seal(input.subarray(0, input.byteLength - 32));
      tally.resealed++;
    }
    const failure = check(target, input, -1, tally);
    if (failure !== undefined) failWith(target, 'random', n, input, failure);
  }

  for (let n = 0; n < MUTATED_INPUTS; n++) {
    checkTime(n);
    const corpusIndex = n % target.corpus.length;
    const { encoded, fields } = target.corpus[corpusIndex] as { encoded: Uint8Array; fields: readonly Field[] };
    let input: Uint8Array;
    let what: string;
    if (n % 2 === 0) {
      // Mutate the body and re-seal it: the parser behind the checksum sees the damage.
      [input, what] = mutate(rng, encoded.subarray(0, encoded.byteLength - 32), fields);
      input = seal(input);
      tally.resealed++;
    } else {
      [input, what] = mutate(rng, encoded, fields);
    }
    const failure = check(target, input, corpusIndex, tally);
    if (failure !== undefined) failWith(target, `mutated (${what}) corpus[${corpusIndex}]`, n, input, failure);
  }

  const elapsed = Date.now() - started;
  const codes = [...tally.codes].sort().map(([code, count]) => `${code}=${count}`).join(' ');
  t.diagnostic(`${target.name}: ${tally.inputs} inputs (${tally.resealed} re-sealed) in ${elapsed} ms; ${tally.decoded} decoded; ${codes}`);
  return tally;
}

function assertCoverage(tally: Tally): void {
  assert.equal(tally.inputs, RANDOM_INPUTS + MUTATED_INPUTS);
  for (const code of ['RC_ERR_WIRE_TRUNCATED', 'RC_ERR_WIRE_BAD_MAGIC', 'RC_ERR_WIRE_UNSUPPORTED_VERSION', 'RC_ERR_WIRE_CHECKSUM', 'RC_ERR_WIRE_INVALID']) {
    assert.ok((tally.codes.get(code) ?? 0) > 0, `the fuzzer never produced ${code}`);
  }
  // Re-sealed mutations of hash bytes, partition-table bytes and the like still decode.
  assert.ok(tally.decoded > 1000, `only ${tally.decoded} inputs decoded`);
}

// ---------------------------------------------------------------------------------------------

describe('bounded fuzzing of the decoders', () => {
  const corpusRng = mulberry32(SEED);
  const manifests = Array.from({ length: CORPUS_SIZE }, () => randomManifest(corpusRng));
  const deltas = manifests.map((m) => randomDelta(corpusRng, m));

  test(`decodeManifest: ${RANDOM_INPUTS + MUTATED_INPUTS} random and mutated inputs`, (t) => {
    const target: Target<Manifest> = {
      name: 'decodeManifest',
      magicAndVersion: new Uint8Array([0x52, 0x43, 0x4d, 0x46, 0, 1, 1, 32]),
      decode: decodeManifest,
      recheck(value, input) {
        validateManifest(value);
        const again = encodeManifest(value);
        if (!equalBytes(again, input)) throw new Error('re-encoding differs from the input');
      },
      corpus: manifests.map((m) => ({ encoded: encodeManifest(m), fields: manifestFields(m) })),
    };
    assertCoverage(runTarget(t, target, mulberry32(SEED + 1)));
  });

  test(`decodeManifestDelta: ${RANDOM_INPUTS + MUTATED_INPUTS} random and mutated inputs, successes composed onto their base`, (t) => {
    const target: Target<ManifestDelta> = {
      name: 'decodeManifestDelta',
      magicAndVersion: new Uint8Array([0x52, 0x43, 0x4d, 0x44, 0, 1, 1, 32]),
      decode: decodeManifestDelta,
      recheck(value, input, corpusIndex) {
        const again = encodeManifestDelta(value);
        if (!equalBytes(again, input)) throw new Error('re-encoding differs from the input');
        decodeManifestDelta(again);
        // Composition of whatever decoded must also end in a valid manifest or a WireError.
        const base = manifests[corpusIndex];
        if (base === undefined) return;
        try {
          encodeManifest(composeVersion(base, value).manifest);
        } catch (err) {
          if (!(err instanceof WireError)) throw err;
        }
      },
      corpus: deltas.map((d) => ({ encoded: encodeManifestDelta(d), fields: deltaFields(d) })),
    };
    assertCoverage(runTarget(t, target, mulberry32(SEED + 2)));
  });

  test('the corpus itself decodes and composes', () => {
    manifests.forEach((m, i) => {
      assert.deepStrictEqual(decodeManifest(encodeManifest(m)), m);
      const d = deltas[i] as ManifestDelta;
      assert.deepStrictEqual(decodeManifestDelta(encodeManifestDelta(d)), d);
    });
  });
});
