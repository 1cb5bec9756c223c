import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WireError } from '../wire-error.js';
import { PROFILE_LIMITS } from './machine-profile.js';
import { parseAgentRegistration, parseMachineAgentMessage } from './machine-messages.js';
import { parseMachineProfile } from './parse-profile.js';
import { sampleProfile } from './sample-profile.js';
import { mulberry32, int, pick, slots, type Rng, type Container } from '../fuzz-random.js';

/*
 * Bounded, deterministic fuzzing of the profile parser (and the messages around it). Inputs are
 * random JSON trees, mutations of valid profiles (a value replaced, a key dropped or added, a
 * string made long or given control characters, an array grown past its limit) and damaged JSON
 * text. Every input must either parse to a value that parses again to itself, survives a JSON
 * round trip, holds only schema keys and stays within the limits, or throw a WireError with an
 * RC_ERR_ code naming a schema field. Anything else fails and prints the input.
 */

const SEED = 0x9f0f11e;
const RANDOM_INPUTS = 20_000;
const MUTATED_INPUTS = 100_000;
const TEXT_INPUTS = 20_000;
const TIME_LIMIT_MS = 60_000;

const KEYS = ['schema', 'detectedAt', 'system', 'firmware', 'cpu', 'memory', 'disks', 'nics', 'problems', 'uuid', 'mac', 'name', 'sizeBytes', '__proto__', 'constructor', 'x'];
const STRINGS = ['', 'a', 'uefi', 'bios', '52:54:00:12:34:56', '52:54:00:AB:CD:EF', '10.0.0.1/24', '2025-01-31T10:00:00.000Z', 'tab\there', 'nul\u0000', 'del\u007f', '\ud800', 'ä'.repeat(3)];
const NUMBERS = [0, 1, -1, 1.5, 512, 4096, 65536, 65537, 2 ** 31, 2 ** 53 - 1, 2 ** 53, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e308];

function randomJson(rng: Rng, depth: number): unknown {
  const kind = int(rng, 0, depth > 3 ? 4 : 6);
  switch (kind) {
    case 0: return null;
    case 1: return rng() < 0.5;
    case 2: return pick(rng, NUMBERS);
    case 3: return rng() < 0.3 ? 'x'.repeat(int(rng, 0, 600)) : pick(rng, STRINGS);
    case 4: return int(rng, 0, 1_000_000);
    case 5: return Array.from({ length: int(rng, 0, 4) }, () => randomJson(rng, depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = int(rng, 0, 5); i > 0; i--) obj[pick(rng, KEYS)] = randomJson(rng, depth + 1);
      if (rng() < 0.3) obj['schema'] = 1;
      return obj;
    }
  }
}

function setSlot(container: Container, key: string | number, value: unknown): void {
  (container as Record<string | number, unknown>)[key] = value;
}

function mutateOnce(rng: Rng, root: Record<string, unknown>): string {
  const all = slots(root);
  const [container, key] = pick(rng, all);
  const current = (container as Record<string | number, unknown>)[key];
  switch (int(rng, 0, 7)) {
    case 0: setSlot(container, key, randomJson(rng, 2)); return `${key} = random`;
    case 1:
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else Reflect.deleteProperty(container, key);
      return `drop ${key}`;
    case 2:
      if (!Array.isArray(container)) container[pick(rng, KEYS)] = randomJson(rng, 2);
      return 'add key';
    case 3: setSlot(container, key, typeof current === 'string' ? current + 'y'.repeat(int(rng, 1, 600)) : 'y'); return `lengthen ${key}`;
    case 4: setSlot(container, key, typeof current === 'string' ? `${current}${String.fromCharCode(int(rng, 0, 31))}` : current); return `control char in ${key}`;
    case 5: setSlot(container, key, pick(rng, NUMBERS)); return `${key} = extreme number`;
    case 6:
      if (Array.isArray(current) && current.length > 0) {
        const limit = pick(rng, [PROFILE_LIMITS.disks, PROFILE_LIMITS.nics, PROFILE_LIMITS.addresses, PROFILE_LIMITS.problems]);
        setSlot(container, key, Array.from({ length: limit + int(rng, 0, 1) }, () => structuredClone(current[0])));
      }
      return `grow ${key}`;
    default: setSlot(container, key, pick(rng, STRINGS)); return `${key} = string`;
  }
}

const FIELD_PATH = /^(profile|schema|detectedAt|system(\.\w+)?|firmware(\.\w+)?|cpu(\.\w+)?|memory(\.totalBytes)?|disks(\[\d+\](\.\w+)?)?|nics(\[\d+\](\.\w+(\[\d+\])?)?)?|problems(\[\d+\])?)$/;
const TOP_KEYS = ['schema', 'detectedAt', 'system', 'firmware', 'cpu', 'memory', 'disks', 'nics', 'problems'];

interface Tally { inputs: number; parsed: number; codes: Map<string, number> }

/** Parses one input; returns a failure description, or undefined when the parser behaved. */
function check(input: unknown, tally: Tally): string | undefined {
  tally.inputs++;
  let parsed;
  try {
    parsed = parseMachineProfile(input);
  } catch (err) {
    if (!(err instanceof WireError) || !err.code.startsWith('RC_ERR_')) return `threw a non-WireError: ${err instanceof Error ? err.stack : String(err)}`;
    if (!FIELD_PATH.test(err.field)) return `WireError names no schema field: "${err.field}"`;
    tally.codes.set(err.code, (tally.codes.get(err.code) ?? 0) + 1);
    return undefined;
  }
  tally.parsed++;
  try {
    assert.deepEqual(parseMachineProfile(parsed), parsed);
    assert.deepEqual(JSON.parse(JSON.stringify(parsed)), parsed);
    assert.deepEqual(Object.keys(parsed).sort(), [...TOP_KEYS].sort());
    assert.ok(parsed.disks.length <= PROFILE_LIMITS.disks && parsed.nics.length <= PROFILE_LIMITS.nics);
  } catch (err) {
    return `parsed, but not stable: ${(err as Error).message}`;
  }
  return undefined;
}

function show(input: unknown): string {
  try {
    return JSON.stringify(input).slice(0, 2000);
  } catch {
    return String(input);
  }
}

describe('bounded fuzzing of the profile parser', () => {
  test(`parseMachineProfile: ${RANDOM_INPUTS + MUTATED_INPUTS + TEXT_INPUTS} random, mutated and damaged-text inputs`, (t) => {
    const rng = mulberry32(SEED);
    const tally: Tally = { inputs: 0, parsed: 0, codes: new Map() };
    const started = Date.now();
    const base = JSON.stringify(sampleProfile());
    const run = (n: number, kind: string, make: () => [unknown, string]): void => {
      for (let i = 0; i < n; i++) {
        if ((i & 1023) === 0) assert.ok(Date.now() - started < TIME_LIMIT_MS, `fuzzing exceeded ${TIME_LIMIT_MS} ms`);
        const [input, what] = make();
        const failure = check(input, tally);
        if (failure !== undefined) assert.fail(`${kind} input #${i} (${what}, seed ${SEED}): ${failure}\ninput: ${show(input)}`);
      }
    };
    run(RANDOM_INPUTS, 'random', () => [randomJson(rng, 0), 'random tree']);
    run(MUTATED_INPUTS, 'mutated', () => {
      const root = JSON.parse(base) as Record<string, unknown>;
      const steps = Array.from({ length: rng() < 0.7 ? 1 : int(rng, 2, 4) }, () => mutateOnce(rng, root));
      return [root, steps.join(', ')];
    });
    let unparsable = 0;
    run(TEXT_INPUTS, 'damaged text', () => {
      const chars = [...base];
      for (let k = int(rng, 1, 4); k > 0; k--) chars[int(rng, 0, chars.length - 1)] = pick(rng, ['"', ',', '{', '}', '1', 'A', ':', '\\', ' ']);
      try {
        return [JSON.parse(chars.join('')), 'text edit'];
      } catch {
        unparsable++;
        return [chars.join(''), 'unparsable text'];
      }
    });
    const codes = [...tally.codes].sort().map(([c, n]) => `${c}=${n}`).join(' ');
    t.diagnostic(`${tally.inputs} inputs in ${Date.now() - started} ms; ${tally.parsed} parsed; ${unparsable} texts were not JSON; ${codes}`);
    assert.equal(tally.inputs, RANDOM_INPUTS + MUTATED_INPUTS + TEXT_INPUTS);
    assert.ok(tally.parsed > 1000, `only ${tally.parsed} inputs parsed: the mutations never kept a profile valid`);
    assert.ok((tally.codes.get('RC_ERR_WIRE_INVALID') ?? 0) > 10_000);
    assert.ok((tally.codes.get('RC_ERR_WIRE_UNSUPPORTED_VERSION') ?? 0) > 100);
  });

  test('registration and agent messages: random trees either parse or throw a WireError', () => {
    const rng = mulberry32(SEED + 1);
    for (let i = 0; i < 20_000; i++) {
      const input = rng() < 0.5 ? randomJson(rng, 0) : { type: pick(rng, ['ack', 'heartbeat', 'job']), jobId: randomJson(rng, 3), action: randomJson(rng, 3), uptimeSeconds: randomJson(rng, 3), bootMac: randomJson(rng, 3), agentVersion: randomJson(rng, 3), profile: sampleProfile() };
      for (const parse of [parseAgentRegistration, parseMachineAgentMessage]) {
        try {
          parse(input);
        } catch (err) {
          if (!(err instanceof WireError)) assert.fail(`#${i}: ${parse.name} threw ${String(err)} for ${show(input)}`);
        }
      }
    }
  });
});
