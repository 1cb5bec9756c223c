import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AgentRegistration, MachineServerMessage } from '@rackcast/wire';
import { hasCode } from '../errors.js';
import { silentLogger } from '../log.js';
import { ImageStore } from '../store/index.js';
import { bootTargetFor } from './boot-decision.js';
import { MAX_EVENTS, MAX_TOKENS, normaliseMac } from './machine-record.js';
import { MachineRegistry, type MachineRegistryOptions } from './machine-registry.js';
import { agentRegistration } from './registration-fixture.js';

const MAC = '52:54:00:12:34:56';
const BOOT = { platform: 'pcbios', buildarch: 'i386', uuid: '' };
const TTL = 60_000;

function registration(sizeBytes = 2 ** 31): AgentRegistration {
  return agentRegistration(MAC, { diskBytes: sizeBytes });
}

/** A channel that records what the registry sends it. */
function recorder(): { sent: MachineServerMessage[]; closed: number; send(m: MachineServerMessage): void; close(): void } {
  return { sent: [], closed: 0, send(m) { this.sent.push(m); }, close() { this.closed++; } };
}

describe('MachineRegistry on a real store', () => {
  let dir: string;
  let store: ImageStore;
  let clock: number;
  const open = (extra: Partial<MachineRegistryOptions> = {}) =>
    MachineRegistry.open(store, { unknownMachines: 'register', tokenTtlMs: TTL, log: silentLogger(), now: () => clock, ...extra });
  const refused = (code: string) => (err: unknown) => hasCode(err, code as 'RC_ERR_MACHINE_BAD_TOKEN');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rackcast-machines-'));
    store = await ImageStore.open({ dir, blockSize: 65536, keepVersions: 0 });
    clock = Date.parse('2025-01-31T10:00:00.000Z');
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a token registers once; the credential then re-registers; the token never again', async () => {
    const machines = await open();
    const { target, token } = await machines.prepareBoot(MAC, BOOT);
    assert.equal(target, 'agent');
    assert.ok(token !== null && /^[A-Za-z0-9_-]{32}$/.test(token));
    const reply = await machines.register(token, registration());
    assert.equal(reply.mac, MAC);
    assert.deepEqual(reply.job, { id: 1, action: 'wait' });
    assert.notEqual(reply.credential, token);
    await assert.rejects(machines.register(token, registration()), refused('RC_ERR_MACHINE_BAD_TOKEN'));
    const again = await machines.register(reply.credential, registration(2 ** 32));
    assert.equal(again.credential, reply.credential);
    assert.equal(machines.get(MAC).profile?.disks[0]?.sizeBytes, 2 ** 32, 're-registration replaces the profile');
    await assert.rejects(machines.register('made-up-token-000000000000', registration()), refused('RC_ERR_MACHINE_BAD_TOKEN'));
  });

  test('a token expires; an expired token is refused and used up', async () => {
    const machines = await open();
    const { token } = await machines.prepareBoot(MAC, BOOT);
    clock += TTL;
    await assert.rejects(machines.register(token as string, registration()), refused('RC_ERR_MACHINE_BAD_TOKEN'));
    clock -= TTL; // even back inside its lifetime it is gone
    await assert.rejects(machines.register(token as string, registration()), refused('RC_ERR_MACHINE_BAD_TOKEN'));
    assert.equal(machines.get(MAC).events.at(-1)?.detail, 'expired token');
  });

  test(`a machine keeps its ${MAX_TOKENS} newest unused tokens; older ones stop working`, async () => {
    const machines = await open();
    const tokens: string[] = [];
    for (let i = 0; i < MAX_TOKENS + 2; i++) tokens.push((await machines.prepareBoot(MAC, BOOT)).token as string);
    await assert.rejects(machines.register(tokens[0] as string, registration()), refused('RC_ERR_MACHINE_BAD_TOKEN'));
    await assert.rejects(machines.register(tokens[1] as string, registration()), refused('RC_ERR_MACHINE_BAD_TOKEN'));
    assert.equal((await machines.register(tokens[2] as string, registration())).mac, MAC);
  });

  test('records, tokens and credentials survive a reopen; a connected state reads offline after it', async () => {
    const first = await open();
    const { token } = await first.prepareBoot(MAC, BOOT);
    const spare = (await first.prepareBoot(MAC, BOOT)).token as string;
    const { credential } = await first.register(token as string, registration());
    first.attachAgent(credential, recorder());
    assert.equal(first.get(MAC).state, 'waiting');
    await first.close();
    const second = await open();
    assert.equal(second.isKnownMachine(MAC), true);
    assert.equal(second.get(MAC).state, 'offline');
    assert.equal(second.get(MAC).profile?.disks[0]?.serial, 's1');
    assert.equal((await second.register(credential, registration())).mac, MAC, 'the credential still works');
    assert.equal((await second.register(spare, registration())).mac, MAC, 'an unused token still works');
  });

  test('jobs reach a connected agent; reboot and poweroff happen once, local stays', async () => {
    const machines = await open();
    const { credential } = await machines.register((await machines.prepareBoot(MAC, BOOT)).token as string, registration());
    const channel = recorder();
    const link = machines.attachAgent(credential, channel);
    assert.deepEqual(channel.sent, [{ type: 'job', job: { id: 1, action: 'wait' } }]);
    await machines.setJob(MAC, 'reboot');
    assert.deepEqual(channel.sent.at(-1), { type: 'job', job: { id: 2, action: 'reboot' } });
    link.onMessage({ type: 'ack', jobId: 1, action: 'wait' });
    assert.equal(machines.get(MAC).job.action, 'reboot', 'a stale acknowledgement changes nothing');
    link.onMessage({ type: 'ack', jobId: 2, action: 'reboot' });
    assert.deepEqual([machines.get(MAC).state, machines.get(MAC).job.action, machines.get(MAC).job.id], ['rebooting', 'wait', 3]);
    link.onClose();
    assert.equal(machines.get(MAC).state, 'rebooting', 'closing after a reboot is not going offline');
    await machines.setJob(MAC, 'local');
    const next = await machines.prepareBoot(MAC, BOOT);
    assert.deepEqual(next, { target: 'local', token: null });
    assert.equal(machines.get(MAC).state, 'local-boot');
    assert.deepEqual(await machines.prepareBoot(MAC, BOOT), { target: 'local', token: null }, 'local stands until changed');
  });

  test('a second channel of the same machine replaces the first', async () => {
    const machines = await open();
    const { credential } = await machines.register((await machines.prepareBoot(MAC, BOOT)).token as string, registration());
    const a = recorder();
    const linkA = machines.attachAgent(credential, a);
    const b = recorder();
    machines.attachAgent(credential, b);
    assert.equal(a.closed, 1);
    linkA.onClose();
    assert.equal(machines.get(MAC).online, true, 'the old channel closing does not take the new one down');
    assert.throws(() => machines.attachAgent('nope', recorder()), refused('RC_ERR_MACHINE_BAD_TOKEN'));
  });

  test('unknown machines follow the policy: register creates, local records with a local job, ignore leaves no trace', async () => {
    const local = await open({ unknownMachines: 'local' });
    assert.deepEqual(await local.prepareBoot(MAC, BOOT), { target: 'local', token: null });
    assert.deepEqual([local.isKnownMachine(MAC), local.get(MAC).job.action], [true, 'local']);
    const other = '52:54:00:00:00:02';
    const ignore = await open({ unknownMachines: 'ignore' });
    assert.deepEqual(await ignore.prepareBoot(other, BOOT), { target: 'ignore', token: null });
    assert.equal(ignore.isKnownMachine(other), false);
    await ignore.setJob(other, 'wait');
    assert.equal(ignore.get(other).state, 'known');
    assert.equal((await ignore.prepareBoot(other, BOOT)).target, 'agent', 'a machine with a job is known, whatever the policy');
  });

  test('events are bounded; the machine count is bounded', async () => {
    const machines = await open({ maxMachines: 2 });
    for (let i = 0; i < MAX_EVENTS + 10; i++) await machines.prepareBoot(MAC, BOOT);
    assert.equal(machines.get(MAC).events.length, MAX_EVENTS);
    await machines.prepareBoot('52:54:00:00:00:02', BOOT);
    assert.deepEqual(await machines.prepareBoot('52:54:00:00:00:03', BOOT), { target: 'ignore', token: null });
    await assert.rejects(machines.setJob('52:54:00:00:00:04', 'wait'), (e: unknown) => hasCode(e, 'RC_ERR_BAD_REQUEST'));
    assert.equal(machines.list().length, 2);
  });

});

describe('normaliseMac and bootTargetFor', () => {
  test('MACs in colon, hyphen or bare form, any case, become lowercase colon form', () => {
    for (const text of ['52:54:00:AB:cd:EF', '52-54-00-ab-cd-ef', '525400abcdef']) assert.equal(normaliseMac(text), '52:54:00:ab:cd:ef');
    for (const text of ['52:54:00:ab:cd', '52:54-00:ab:cd:ef', 'zz:54:00:ab:cd:ef', '', '52:54:00:ab:cd:ef:01']) {
      assert.throws(() => normaliseMac(text), (e: unknown) => hasCode(e, 'RC_ERR_BAD_REQUEST'), text);
    }
  });

  test('known machines boot the agent unless their job is local; unknown ones follow the policy', () => {
    const job = (action: 'wait' | 'local') => ({ job: { id: 1, action, setAt: '' } });
    assert.equal(bootTargetFor(undefined, 'register'), 'agent');
    assert.equal(bootTargetFor(undefined, 'local'), 'local');
    assert.equal(bootTargetFor(undefined, 'ignore'), 'ignore');
    assert.equal(bootTargetFor(job('wait'), 'ignore'), 'agent');
    assert.equal(bootTargetFor(job('local'), 'register'), 'local');
  });
});
