import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MachineServerMessage } from '@rackcast/wire';
import { silentLogger } from '../log.js';
import { MachineRegistry } from '../machine/index.js';
import { agentRegistration } from '../machine/registration-fixture.js';
import { ImageStore } from '../store/index.js';
import { CaptureJobs } from './capture-jobs.js';
import { CaptureRegistry } from './capture-registry.js';

/*
 * Capture jobs whose machine falls silent, with a real store and machine registry (LevelDB in
 * a temp dir) and a short timeout: a machine that never boots, and one whose agent went away,
 * fail with their reason and get job `wait`; a machine whose agent stays online does not time
 * out however long the capture takes.
 */

const A = '52:54:00:00:0c:01';
const TIMEOUT_MS = 400;

let dir: string;
let store: ImageStore;
let machines: MachineRegistry;
let captures: CaptureRegistry;
let jobs: CaptureJobs;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rackcast-capture-jobs-'));
  store = await ImageStore.open({ dir: join(dir, 'store'), blockSize: 65536, keepVersions: 0 });
  machines = await MachineRegistry.open(store, { unknownMachines: 'register', tokenTtlMs: 60_000, log: silentLogger() });
  captures = new CaptureRegistry(store, silentLogger());
  jobs = CaptureJobs.open(captures, machines, store, silentLogger(), { timeoutMs: TIMEOUT_MS, checkIntervalMs: 50 });
});

afterEach(async () => {
  jobs.close();
  await machines.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a capture job whose machine never network-boots fails with the reason, and the machine goes back to wait', async () => {
  const { capture } = await jobs.start({ machine: A, image: 'web' });
  assert.equal(machines.jobOf(A)?.action, 'capture');
  await until(async () => (await captures.get(capture.id)).record.state === 'failed', 'the job to time out');
  const { job } = (await captures.get(capture.id)).record;
  assert.equal(job?.failure?.code, 'RC_ERR_CAPTURE_JOB_TIMEOUT');
  assert.match(job?.failure?.message ?? '', /did not network-boot within 1 min of the capture being queued/);
  await until(async () => machines.jobOf(A)?.action === 'wait', 'the machine\'s job to go back to wait');
});

test('a machine whose agent stays online does not time out; once it goes away, the job fails saying where it was', async () => {
  const { token } = await machines.prepareBoot(A, { platform: 'pcbios', buildarch: 'i386', uuid: '' });
  const { credential } = await machines.register(token as string, agentRegistration(A));
  const sent: MachineServerMessage[] = [];
  const link = machines.attachAgent(credential, { send: (m) => sent.push(m), close: () => undefined });
  const { capture } = await jobs.start({ machine: A, image: 'web' });
  await sleep(TIMEOUT_MS * 3);
  assert.equal((await captures.get(capture.id)).record.state, 'waiting', 'an online agent is not a silence');
  link.onClose();
  await until(async () => (await captures.get(capture.id)).record.state === 'failed', 'the job to time out');
  const { job } = (await captures.get(capture.id)).record;
  assert.equal(job?.failure?.code, 'RC_ERR_CAPTURE_JOB_TIMEOUT');
  assert.match(job?.failure?.message ?? '', /no word from the machine for 1 min while queued/);
});
