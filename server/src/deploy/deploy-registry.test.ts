import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AgentRegistration, DeployStatusMessage, MachineServerMessage } from '@rackcast/wire';
import { importImage } from '../image/index.js';
import { silentLogger } from '../log.js';
import { MachineRegistry } from '../machine/index.js';
import { agentRegistration } from '../machine/registration-fixture.js';
import { ImageStore } from '../store/index.js';
import { DeployRegistry, type DeploySessions } from './deploy-registry.js';
import { ESP_TYPE, LINUX_TYPE, ext4Superblock, gptBytes } from './gpt-fixture.js';

/*
 * The deploy registry with a real store and machine registry (LevelDB in a temp dir) and a fake
 * session registry (no sockets): members get plans and jobs, a refused member fails with its
 * reason and frees its receiver token, agent reports move members through their stages, a done
 * member boots from disk, a reset member keeps its job, and records survive a restart.
 */

const MIB = 2 ** 20;
const DISK = 64 * MIB;
const A = '52:54:00:00:0a:01';
const B = '52:54:00:00:0a:02';
const C = '52:54:00:00:0a:03';

async function goldenLike(path: string): Promise<void> {
  const sectors = DISK / 512;
  const { head, tail } = gptBytes(sectors, [
    { type: ESP_TYPE, first: 2048, last: 18431, name: 'EFI System' },
    { type: LINUX_TYPE, first: 18432, last: sectors - 34, name: 'root' },
  ]);
  const disk = Buffer.alloc(DISK);
  head.copy(disk, 0);
  tail.copy(disk, DISK - tail.byteLength);
  ext4Superblock('root').copy(disk, 18432 * 512 + 1024);
  disk.fill(7, 2 * MIB, 3 * MIB);
  await writeFile(path, disk);
}

function registration(mac: string, diskBytes: number): AgentRegistration {
  return agentRegistration(mac, { diskBytes, uuid: '', systemSerial: `SN-${mac.slice(-2)}`, diskSerial: `disk-${mac.slice(-2)}` });
}

function recorder(): { sent: MachineServerMessage[]; send(m: MachineServerMessage): void; close(): void } {
  return { sent: [], send(m) { this.sent.push(m); }, close() { /* nothing */ } };
}

function status(jobId: number, stage: DeployStatusMessage['stage'], resumed = 0, fetched = 0): DeployStatusMessage {
  const failure = stage === 'failed' ? { code: 'RC_ERR_DISK_MISMATCH', message: 'serial differs' } : null;
  return {
    type: 'deploy-status', jobId, stage, failure,
    progress: { bytesDone: fetched * 1000, bytesTotal: 9000, blocksDone: resumed + fetched, blocksTotal: 9, rate: 1000, etaSeconds: 3, repairs: 1, resumedBlocks: resumed, fetchedBlocks: fetched },
  };
}

describe('DeployRegistry', () => {
  let dir: string;
  let store: ImageStore;
  let machines: MachineRegistry;
  let deploys: DeployRegistry;
  const released: string[] = [];
  const sessions: DeploySessions = {
    create: async (request) => ({ session: { record: { id: 7 } }, tokens: Array.from({ length: request.expect }, (_, i) => `token-${i + 1}`) }),
    get: () => ({ releaseToken: (t: string) => { released.push(t); return true; } }),
  };
  const open = async () => {
    machines = await MachineRegistry.open(store, { unknownMachines: 'register', tokenTtlMs: 60_000, log: silentLogger() });
    deploys = await DeployRegistry.open(store, sessions, machines, { log: silentLogger(), checkIntervalMs: 60_000 });
  };
  const boot = async (mac: string, diskBytes: number) => {
    const { token } = await machines.prepareBoot(mac, { platform: 'pcbios', buildarch: 'i386', uuid: '' });
    return machines.register(token as string, registration(mac, diskBytes));
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rackcast-deploys-'));
    store = await ImageStore.open({ dir: join(dir, 'store'), blockSize: 65536, keepVersions: 0 });
    await goldenLike(join(dir, 'golden.img'));
    await importImage(store, { file: join(dir, 'golden.img'), name: 'golden' });
    released.length = 0;
    await open();
  });
  afterEach(async () => {
    await deploys.close();
    await machines.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('members: online one planned and sent its job, unknown one waits for boot, too-small one refused with its reason', async () => {
    const { credential } = await boot(A, 128 * MIB);
    const channel = recorder();
    machines.attachAgent(credential, channel);
    await boot(C, 8 * MIB); // below the used end (the root superblock at 9 MiB); the backup GPT does not count
    const { sessionId, view } = await deploys.create({ image: 'golden', version: 'latest', machines: [A, B, C], hostnamePattern: 'rack1-{n}' });
    assert.equal(sessionId, 7);
    assert.deepEqual(view.members.map((m) => [m.mac, m.state, m.hostname]), [[A, 'planned', 'rack1-1'], [B, 'waiting-for-boot', null], [C, 'failed', 'rack1-3']]);
    const job = channel.sent.at(-1)?.job;
    assert.ok(job?.action === 'deploy', JSON.stringify(channel.sent));
    assert.deepEqual([job.deploy.sessionId, job.deploy.token, job.deploy.plan.target.serial, job.deploy.plan.layout.resizePartition], [7, 'token-1', 'disk-01', 2]);
    assert.equal(view.members[2]?.failure?.code, 'RC_ERR_PLAN_DISK_TOO_SMALL');
    assert.deepEqual(released, ['token-3'], 'the refused member\'s receiver token is withdrawn');
    const shown = machines.get(A).job;
    assert.equal(shown.action === 'deploy' && shown.deploy.token, '', 'the API never shows the token');
    assert.equal(machines.get(B).job.action, 'wait', 'an unknown member boots the agent');
    await assert.rejects(deploys.create({ image: 'golden', version: 'latest', machines: [A] }), /RC_ERR_DEPLOY_BUSY|is in deploy session 7/);
    // B boots: it is planned before its registration is answered, so the answer carries the job.
    const reply = await boot(B, 64 * MIB);
    assert.equal(reply.job.action, 'deploy');
    assert.equal(deploys.view(7)?.members[1]?.state, 'planned');
    assert.equal(reply.job.action === 'deploy' && reply.job.deploy.plan.layout.resizePartition, null, 'same-size disk: nothing to fit');
  });

  test('reports move a member to done, its machine then boots from disk; a reset member keeps its job; stale reports are ignored', async () => {
    const { credential } = await boot(A, 128 * MIB);
    machines.attachAgent(credential, recorder());
    await deploys.create({ image: 'golden', version: 'latest', machines: [A] });
    const jobId = machines.get(A).job.id;
    deploys.deployStatus(A, status(jobId, 'receiving', 0, 4));
    deploys.deployStatus(A, status(jobId + 5, 'failed'));
    assert.equal(deploys.view(7)?.members[0]?.state, 'receiving', 'a report for another job changes nothing');
    // Reset mid-restore: the machine boots again and gets the very same job back.
    const again = await boot(A, 128 * MIB);
    assert.deepEqual([again.job.id, again.job.action], [jobId, 'deploy']);
    deploys.deployStatus(A, status(jobId, 'receiving', 4, 5));
    for (const stage of ['verifying', 'fitting', 'personalising', 'done'] as const) deploys.deployStatus(A, status(jobId, stage, 4, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const member = deploys.view(7)?.members[0];
    assert.equal(member?.state, 'done');
    assert.deepEqual(member?.tries.map((t) => [t.n, t.resumedBlocks, t.fetchedBlocks, t.outcome]), [[1, 0, 4, null], [2, 4, 5, 'done']]);
    assert.equal(machines.get(A).job.action, 'local', 'a done member boots from its disk');
    assert.equal(deploys.view(7)?.state, 'complete');
  });

  test('a planned member that boots with other disks keeps its plan: its agent will refuse it', async () => {
    await boot(A, 128 * MIB);
    await deploys.create({ image: 'golden', version: 'latest', machines: [A] });
    const planned = machines.get(A).job.id;
    const changed = registration(A, 256 * MIB);
    const { token } = await machines.prepareBoot(A, { platform: 'pcbios', buildarch: 'i386', uuid: '' });
    const reply = await machines.register(token as string, changed);
    assert.equal(reply.job.id, planned);
    assert.equal(reply.job.action === 'deploy' && reply.job.deploy.plan.target.sizeBytes, 128 * MIB);
    assert.equal(deploys.view(7)?.members[0]?.tries.length, 1, 'the boot is the member\'s first try');
  });

  test('a failure reported by the agent keeps its reason, sets the machine to wait, and survives a restart', async () => {
    const { credential } = await boot(A, 128 * MIB);
    machines.attachAgent(credential, recorder());
    await boot(B, 128 * MIB);
    await deploys.create({ image: 'golden', version: 'latest', machines: [A, B] });
    deploys.deployStatus(A, status(machines.get(A).job.id, 'failed'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(deploys.view(7)?.members.map((m) => m.state), ['failed', 'planned'], 'one failed machine does not fail the other');
    assert.equal(machines.get(A).job.action, 'wait');
    assert.deepEqual(released, ['token-1']);
    await deploys.close();
    await machines.close();
    await open();
    const view = deploys.view(7);
    assert.deepEqual(view?.members[0]?.failure, { code: 'RC_ERR_DISK_MISMATCH', message: 'serial differs' });
    assert.equal(view?.state, 'running');
  });

  test('--count: the next machines that boot take the slots; machines busy with another job do not', async () => {
    await deploys.create({ image: 'golden', version: 'latest', count: 2, hostnamePattern: '{mac}' });
    assert.equal(deploys.view(7)?.open, 2);
    await machines.setJob(C, 'poweroff');
    await boot(C, 128 * MIB);
    const a = await boot(A, 128 * MIB);
    const b = await boot(B, 128 * MIB);
    assert.deepEqual([a.job.action, b.job.action], ['deploy', 'deploy']);
    const view = deploys.view(7);
    assert.deepEqual(view?.members.map((m) => [m.index, m.mac, m.hostname]), [[1, A, '52-54-00-00-0a-01'], [2, B, '52-54-00-00-0a-02']]);
    assert.equal(view?.open, 0);
    const dry = await deploys.dryRun({ image: 'golden', version: 'latest', machines: [C, '52:54:00:00:0a:09'] });
    assert.equal(dry.facts.table, 'gpt');
    assert.deepEqual(dry.members.map((m) => m.result?.ok ?? m.note), [true, 'no profile yet: planned when it boots the agent']);
  });
});
