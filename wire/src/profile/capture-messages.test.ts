import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { int, mulberry32, pick, slots, type Rng } from '../fuzz-random.js';
import { WireError } from '../wire-error.js';
import { parseMachineAgentMessage, parseMachineServerMessage } from './machine-messages.js';

/*
 * The capture job (server → agent) and capture-status (agent → server): exact parses, the rules
 * between stage, version and failure, and bounded deterministic mutation of valid messages
 * (each mutation parses to a value stable across a JSON round trip, or throws a WireError).
 */

const SEED = 0xca97;
const MUTATIONS = 20_000;
const TIME_LIMIT_MS = 30_000;
const VALUES: readonly unknown[] = [null, true, 0, -1, 1.5, 2 ** 32, 2 ** 53, '', 'x'.repeat(300), 'nul\u0000', 'capture', 'failed', 'committed', {}, []];

const job = { type: 'job', job: { id: 4, action: 'capture', capture: { captureId: 2, token: 'tok_abc', image: 'web-07', disk: '' } } };
const uploading = { type: 'capture-status', jobId: 4, stage: 'uploading', progress: { bytesDone: 10, bytesTotal: 20 }, version: null, failure: null };
const committed = { type: 'capture-status', jobId: 4, stage: 'committed', progress: null, version: 3, failure: null };
const failed = { type: 'capture-status', jobId: 4, stage: 'failed', progress: null, version: null, failure: { code: 'RC_ERR_CAPTURE_SOURCE', message: 'two disks' } };

function mutate(rng: Rng, root: unknown): void {
  const all = slots(root);
  if (all.length === 0) return;
  const [container, key] = pick(rng, all);
  if (rng() < 0.3 && !Array.isArray(container)) Reflect.deleteProperty(container, key);
  else (container as Record<string | number, unknown>)[key] = pick(rng, VALUES);
}

function fuzz(base: unknown, parse: (v: unknown) => unknown, seed: number): { parsed: number; refused: number } {
  const rng = mulberry32(seed);
  const text = JSON.stringify(base);
  const started = Date.now();
  let parsed = 0;
  let refused = 0;
  for (let i = 0; i < MUTATIONS; i++) {
    if ((i & 1023) === 0) assert.ok(Date.now() - started < TIME_LIMIT_MS, 'fuzzing took too long');
    const input: unknown = JSON.parse(text);
    for (let k = int(rng, 1, 3); k > 0; k--) mutate(rng, input);
    let value: unknown;
    try {
      value = parse(input);
    } catch (err) {
      if (!(err instanceof WireError)) assert.fail(`#${i}: threw ${String(err)} for ${JSON.stringify(input)}`);
      refused++;
      continue;
    }
    parsed++;
    assert.deepEqual(parse(JSON.parse(JSON.stringify(value))), value, `#${i}: not stable`);
  }
  return { parsed, refused };
}

describe('capture job and capture-status messages', () => {
  test('valid messages parse to themselves', () => {
    assert.deepEqual(parseMachineServerMessage(job), job);
    for (const m of [uploading, committed, failed]) assert.deepEqual(parseMachineAgentMessage(m), m);
  });

  test('stage, version and failure go together; the job needs its token and image', () => {
    assert.throws(() => parseMachineAgentMessage({ ...committed, version: null }), (e: WireError) => e.field === 'version');
    assert.throws(() => parseMachineAgentMessage({ ...uploading, version: 2 }), (e: WireError) => e.field === 'version');
    assert.throws(() => parseMachineAgentMessage({ ...failed, failure: null }), (e: WireError) => e.field === 'failure');
    assert.throws(() => parseMachineAgentMessage({ ...failed, failure: { code: 'oops', message: '' } }), (e: WireError) => e.field === 'failure.code');
    assert.throws(() => parseMachineServerMessage({ type: 'job', job: { ...job.job, capture: { ...job.job.capture, token: '' } } }), (e: WireError) => e.field === 'job.capture.token');
    assert.throws(() => parseMachineServerMessage({ type: 'job', job: { ...job.job, capture: { ...job.job.capture, image: 'x'.repeat(65) } } }), (e: WireError) => e.field === 'job.capture.image');
    assert.throws(() => parseMachineServerMessage({ type: 'job', job: { id: 4, action: 'capture' } }), (e: WireError) => e.field === 'job.capture');
  });

  test(`${MUTATIONS} mutations of each message parse stably or throw a WireError`, (t) => {
    const results = [fuzz(job, parseMachineServerMessage, SEED), fuzz(uploading, parseMachineAgentMessage, SEED + 1), fuzz(failed, parseMachineAgentMessage, SEED + 2)];
    t.diagnostic(results.map((r) => `${r.parsed} parsed, ${r.refused} refused`).join('; '));
    for (const r of results) assert.ok(r.parsed > 100 && r.refused > 1000, JSON.stringify(r));
  });
});
