import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseMachineAgentMessage, parseMachineServerMessage } from '../profile/machine-messages.js';
import { WireError } from '../wire-error.js';
import { parseDeployPlan } from './parse-deploy-plan.js';
import { samplePlan } from './sample-plan.js';
import { mulberry32, int, pick, slots, type Rng } from '../fuzz-random.js';

/*
 * Bounded, deterministic fuzzing of the deploy plan parser and the deploy messages around it
 * (the job that carries a plan, the agent's deploy-status). Inputs are random JSON trees and
 * mutations of valid values: a value replaced, a key dropped or added, a string lengthened or
 * given a control character, an extreme number. Each must parse to a value that parses again to
 * itself and survives a JSON round trip, or throw a WireError naming a field.
 */

const SEED = 0x5eed_9a1;
const MUTATED = 100_000;
const RANDOM = 20_000;
const MESSAGES = 30_000;
const TIME_LIMIT_MS = 60_000;

const KEYS = ['schema', 'image', 'target', 'untouched', 'layout', 'personalise', 'hostname', 'nics', 'mac', 'serial', 'sizeBytes', 'usedEndBytes', 'rootPartition', '__proto__', 'x'];
const STRINGS = ['', 'a', 'gpt', 'mbr', 'ext4', 'dhcp', 'static', 'rack1-1', '-bad-', '52:54:00:12:34:56', '10.0.0.5/24', '\\EFI\\BOOT\\BOOTX64.EFI', 'nul\u0000', 'ä'];
const NUMBERS = [0, 1, -1, 1.5, 2, 128, 129, 512, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -0, Number.NaN, 1e308];

function randomJson(rng: Rng, depth: number): unknown {
  switch (int(rng, 0, depth > 3 ? 4 : 6)) {
    case 0: return null;
    case 1: return rng() < 0.5;
    case 2: return pick(rng, NUMBERS);
    case 3: return rng() < 0.2 ? 'x'.repeat(int(rng, 0, 400)) : pick(rng, STRINGS);
    case 4: return int(rng, 0, 1_000_000);
    case 5: return Array.from({ length: int(rng, 0, 3) }, () => randomJson(rng, depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = int(rng, 0, 5); i > 0; i--) obj[pick(rng, KEYS)] = randomJson(rng, depth + 1);
      return obj;
    }
  }
}

function mutate(rng: Rng, root: unknown): void {
  const all = slots(root);
  if (all.length === 0) return;
  const [container, key] = pick(rng, all);
  const set = (v: unknown): void => { (container as Record<string | number, unknown>)[key] = v; };
  const current = (container as Record<string | number, unknown>)[key];
  switch (int(rng, 0, 5)) {
    case 0: set(randomJson(rng, 2)); break;
    case 1:
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else Reflect.deleteProperty(container, key);
      break;
    case 2: if (!Array.isArray(container)) container[pick(rng, KEYS)] = randomJson(rng, 2); break;
    case 3: set(typeof current === 'string' ? current + 'y'.repeat(int(rng, 1, 400)) : String.fromCharCode(int(rng, 0, 31))); break;
    case 4: set(pick(rng, NUMBERS)); break;
    default: set(pick(rng, STRINGS));
  }
}

/** Parses; returns a failure text, or undefined when the parser behaved. */
function check<T>(parse: (v: unknown) => T, input: unknown, codes: Map<string, number>): string | undefined {
  let parsed: T;
  try {
    parsed = parse(input);
  } catch (err) {
    if (!(err instanceof WireError)) return `threw a non-WireError: ${err instanceof Error ? err.stack : String(err)}`;
    if (!/^[a-zA-Z]+(\[\d+\])?(\.[a-zA-Z]+(\[\d+\])?)*$/.test(err.field)) return `WireError names no field: "${err.field}"`;
    codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
    return undefined;
  }
  codes.set('parsed', (codes.get('parsed') ?? 0) + 1);
  try {
    assert.deepEqual(parse(JSON.parse(JSON.stringify(parsed))), parsed);
  } catch (err) {
    return `parsed, but not stable: ${(err as Error).message}`;
  }
  return undefined;
}

function fuzz<T>(name: string, count: number, parse: (v: unknown) => T, make: (rng: Rng) => unknown, seed: number): Map<string, number> {
  const rng = mulberry32(seed);
  const codes = new Map<string, number>();
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    if ((i & 1023) === 0) assert.ok(Date.now() - started < TIME_LIMIT_MS, `${name}: fuzzing exceeded ${TIME_LIMIT_MS} ms`);
    const input = make(rng);
    const failure = check(parse, input, codes);
    if (failure !== undefined) assert.fail(`${name} #${i} (seed ${seed}): ${failure}\ninput: ${JSON.stringify(input)?.slice(0, 2000)}`);
  }
  return codes;
}

function mutated(base: unknown): (rng: Rng) => unknown {
  const text = JSON.stringify(base);
  return (rng) => {
    const root: unknown = JSON.parse(text);
    for (let k = rng() < 0.7 ? 1 : int(rng, 2, 4); k > 0; k--) mutate(rng, root);
    return root;
  };
}

describe('bounded fuzzing of the deploy plan and deploy messages', () => {
  test(`parseDeployPlan: ${MUTATED} mutated and ${RANDOM} random inputs`, (t) => {
    const codes = fuzz('mutated plan', MUTATED, parseDeployPlan, mutated(samplePlan()), SEED);
    const random = fuzz('random plan', RANDOM, parseDeployPlan, (rng) => (rng() < 0.5 ? randomJson(rng, 0) : { ...samplePlan(), [pick(rng, KEYS)]: randomJson(rng, 1) }), SEED + 1);
    t.diagnostic(`mutated: ${[...codes].join(' ')}; random: ${[...random].join(' ')}`);
    assert.ok((codes.get('parsed') ?? 0) > 5000, 'many mutations keep a plan valid');
    assert.ok((codes.get('RC_ERR_WIRE_INVALID') ?? 0) > 20_000);
  });

  test(`deploy job and deploy-status messages: ${MESSAGES} mutated inputs each`, () => {
    const jobMessage = { type: 'job', job: { id: 9, action: 'deploy', deploy: { sessionId: 3, token: 'tok_123', plan: samplePlan() } } };
    const jobs = fuzz('deploy job', MESSAGES, parseMachineServerMessage, mutated(jobMessage), SEED + 2);
    const status = {
      type: 'deploy-status', jobId: 9, stage: 'receiving', failure: null,
      progress: { bytesDone: 10, bytesTotal: 20, blocksDone: 1, blocksTotal: 2, rate: 5, etaSeconds: 2, repairs: 0, resumedBlocks: 0, fetchedBlocks: 1 },
    };
    const statuses = fuzz('deploy status', MESSAGES, parseMachineAgentMessage, mutated(status), SEED + 3);
    const failed = { type: 'deploy-status', jobId: 9, stage: 'failed', progress: null, failure: { code: 'RC_ERR_DISK_MISMATCH', message: 'serial differs' } };
    const failures = fuzz('deploy failure', MESSAGES, parseMachineAgentMessage, mutated(failed), SEED + 4);
    for (const codes of [jobs, statuses, failures]) assert.ok((codes.get('parsed') ?? 0) > 1000 && (codes.get('RC_ERR_WIRE_INVALID') ?? 0) > 1000, [...codes].join(' '));
  });

  test('the sample plan parses to itself; a failed status must carry its failure', () => {
    assert.deepEqual(parseDeployPlan(samplePlan()), samplePlan());
    assert.throws(() => parseMachineAgentMessage({ type: 'deploy-status', jobId: 1, stage: 'failed', progress: null, failure: null }), /failure/);
    assert.throws(() => parseDeployPlan({ ...samplePlan(), schema: 2 }), (e: unknown) => e instanceof WireError && e.code === 'RC_ERR_WIRE_UNSUPPORTED_VERSION');
    const tooSmall = { ...samplePlan(), target: { ...samplePlan().target, sizeBytes: 1024 } };
    assert.throws(() => parseDeployPlan(tooSmall), /target\.sizeBytes/);
  });
});
