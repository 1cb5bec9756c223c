// Capture as a machine job, on this host without QEMU: a real server (in this process) on
// loopback, a real `rackcast-agent boot` process for a made-up machine whose disk is a GPT disk
// image file (FAT32 ESP + ext4 root) in its dev folder, and the `rackcast capture <machine>` CLI.
// The agent boots from the machine's own iPXE script (a fresh one-time token each boot); after a
// committed capture it acknowledges `local` and its dry-run reboot ends the process, as the
// machine would leave the preboot image. Files change between captures through debugfs -w.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { hashBlock, loadConfig, silentLogger, startServer, type RunningServer } from '@rackcast/server';
import { encodeManifest, encodeManifestDelta, HashAlgorithm, type Manifest } from '@rackcast/wire';
import { AgentProcess, cmdlineFromScript } from './helpers/agent-process.js';
import { apiAuth } from './helpers/api-auth.js';
import { CountingProxy } from './helpers/counting-proxy.js';
import { buildTestDisk, modifyTestDisk } from './helpers/disk-image.js';
import { fakeMachine, type FakeMachine } from './helpers/fake-machine.js';
import { parseJson, runCli } from './helpers/rackcast-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const MIB = 2 ** 20;
const DISK_BYTES = 64 * MIB;
const MAC = '52:54:00:ca:71:01';
const SERIAL = 'CAPJOB-0001';

/** The capture as GET /api/captures/:id and `rackcast capture --json` show it (the fields these tests read). */
interface CaptureView {
  id: number;
  image: string;
  machine: string | null;
  state: string;
  version: number | null;
  offer: { kind: string; blocks: number; offered: number; missing: number; baseVersion: number | null } | null;
  uploads: { blocks: number; bytes: number; duplicates: number; refused: number };
  job: { disk: string; stage: string; tries: number; progress: { bytesDone: number; bytesTotal: number } | null; failure: { code: string; message: string } | null } | null;
}

interface MachineView {
  mac: string;
  state: string;
  job: { id: number; action: string; capture?: { captureId: number; token: string; image: string; disk: string } };
  profile: unknown;
}

let work: Awaited<ReturnType<typeof tempDir>>;
let server: RunningServer;
let machine: FakeMachine;
const agents: AgentProcess[] = [];
let boots = 0;
/** An operator's credential for the technician's API calls (the CLI finds the server's local one). */
let auth: Record<string, string>;

const cliEnv = (): Record<string, string> => ({ RACKCAST_STORE_DIR: server.config.store.dir, PATH: `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` });

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: auth });
  assert.equal(res.status, 200, `GET ${path}: ${res.status}`);
  return (await res.json()) as T;
}

const captureView = async (id: number): Promise<CaptureView> => (await getJson<{ capture: CaptureView }>(`/api/captures/${id}`)).capture;
const machineView = async (): Promise<MachineView> => (await getJson<{ machine: MachineView }>(`/api/machines/${MAC}`)).machine;

/** Polls (every 100 ms, bounded) until `check` holds; returns the last value. */
async function until<T>(read: () => Promise<T>, check: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

/** Network-boots the machine: its iPXE script's kernel line (optionally pointed at `serverUrl`), then the agent. */
async function bootAgent(serverUrl = server.url): Promise<AgentProcess> {
  const script = await (await fetch(`${server.url}/boot/ipxe?mac=${MAC}&uuid=&platform=pcbios&buildarch=i386`)).text();
  const cmdline = cmdlineFromScript(script, MAC).replace(`rackcast.server=${server.url}`, `rackcast.server=${serverUrl}`);
  const agent = await AgentProcess.start(work.path, `boot-${++boots}`, cmdline, ['--sysfs-root', machine.sysfs, '--dev-dir', machine.devDir]);
  agents.push(agent);
  return agent;
}

async function versionsOf(image: string): Promise<{ version: number; source: Record<string, unknown>; profile: unknown; config: { hostname: string } }[]> {
  const list = await server.store.listVersions(image).catch(() => []);
  return list as unknown as { version: number; source: Record<string, unknown>; profile: unknown; config: { hostname: string } }[];
}

before(async () => {
  work = await tempDir('capture-job');
  const root = join(work.path, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc', 'hostname'), 'web-07\n');
  await writeFile(join(root, 'etc', 'os-release'), 'ID=debian\n');
  await writeFile(join(root, 'data.bin'), randomBytes(2 * MIB));
  const image = join(work.path, 'disk.img');
  await buildTestDisk(image, { size: DISK_BYTES, ext4From: root });
  machine = await fakeMachine(work.path, { mac: MAC, diskBytes: DISK_BYTES, serial: SERIAL });
  await copyFile(image, machine.diskPath);
  server = await startServer(loadConfig(undefined, { RACKCAST_STORE_DIR: join(work.path, 'store'), RACKCAST_HTTP_PORT: '0' }), silentLogger());
  auth = { ...(await apiAuth(server)).operator };
});

after(async () => {
  for (const a of agents) await a.stop();
  await server?.stop();
  await work?.remove();
});

describe('capture as a machine job: rackcast capture <machine> --image <name>', () => {
  test('a machine in standby captures at once: version 1 records its profile and configuration, then it boots local', { timeout: 60_000 }, async (t) => {
    const agent = await bootAgent();
    await agent.waitFor(/rackcast-agent: waiting: for a job/);
    const registered = await machineView();
    const cli = await runCli(['capture', MAC, '--image', 'web', '--json'], cliEnv(), 50_000);
    assert.equal(cli.code, 0, `${cli.stdout}\n${cli.stderr}`);
    const { capture, job } = parseJson<{ capture: CaptureView; job: MachineView['job'] }>(cli);
    t.diagnostic(`v1: offer ${capture.offer?.kind}, ${capture.offer?.blocks} blocks, ${capture.uploads.blocks} uploaded (${capture.uploads.bytes} frame bytes)`);
    assert.equal(capture.state, 'committed');
    assert.equal(capture.version, 1);
    assert.equal(capture.machine, MAC);
    assert.deepStrictEqual({ stage: capture.job?.stage, tries: capture.job?.tries, failure: capture.job?.failure }, { stage: 'committed', tries: 1, failure: null });
    assert.equal(job.action, 'capture');
    assert.equal(job.capture?.token, '', 'the job as shown never carries the token');
    assert.equal(capture.offer?.kind, 'full');

    const [v1] = await versionsOf('web');
    assert.deepStrictEqual(v1?.source, { kind: 'capture', capture: capture.id, offer: 'full', machine: MAC });
    assert.deepStrictEqual(v1?.profile, registered.profile, 'the version carries the profile the machine registered with');
    assert.equal(v1?.config.hostname, 'web-07');

    await agent.waitFor(/rackcast-agent: captured: version 1 of web/);
    await agent.waitFor(/rackcast-agent: power: reboot \(dry run\)/);
    const after = await until(machineView, (m) => m.job.action === 'local', 10_000, 'job local after the commit');
    assert.equal(after.state, 'rebooting');
    assert.equal(await agent.exited, 0);
  });

  test('a second capture of the changed disk, taken when the machine boots: a delta with few uploaded blocks', { timeout: 60_000 }, async (t) => {
    const motd = join(work.path, 'motd');
    await writeFile(motd, 'changed after version 1\n');
    await modifyTestDisk(machine.diskPath, [{ op: 'write', src: motd, dest: '/etc/motd' }]);
    // The machine is off (it rebooted into its disk): the job waits for its next network boot.
    const cli = runCli(['capture', MAC, '--image', 'web', '--json'], cliEnv(), 50_000);
    await until(machineView, (m) => m.job.action === 'capture', 10_000, 'capture job set');
    const agent = await bootAgent();
    const done = await cli;
    assert.equal(done.code, 0, `${done.stdout}\n${done.stderr}`);
    const { capture } = parseJson<{ capture: CaptureView }>(done);
    t.diagnostic(`v2: offer ${capture.offer?.kind} of ${capture.offer?.blocks} blocks, ${capture.offer?.offered} named, ${capture.uploads.blocks} uploaded (${capture.uploads.bytes} bytes)`);
    assert.equal(capture.version, 2);
    assert.equal(capture.offer?.kind, 'delta');
    assert.equal(capture.offer?.baseVersion, 1);
    assert.ok(capture.uploads.blocks >= 1 && capture.uploads.blocks <= 4, `${capture.uploads.blocks} blocks uploaded for one small file`);
    assert.ok((capture.offer?.offered ?? 0) < (capture.offer?.blocks ?? 0) / 4, 'most blocks are references to version 1');
    await agent.waitFor(/rackcast-agent: captured: version 2 of web/);
    assert.equal(await agent.exited, 0);
  });

  test('an agent killed mid-upload leaves no version; the machine boots again, takes the same job and sends only the rest', { timeout: 60_000 }, async (t) => {
    const big = join(work.path, 'big.bin');
    await writeFile(big, randomBytes(16 * MIB));
    await modifyTestDisk(machine.diskPath, [{ op: 'write', src: big, dest: '/big.bin' }]);
    const queued = parseJson<{ capture: CaptureView; job: MachineView['job'] }>(await runCli(['capture', MAC, '--image', 'web', '--no-wait', '--json'], cliEnv()));
    const id = queued.capture.id;
    assert.equal(queued.capture.job?.stage, 'queued');
    const proxy = await CountingProxy.start(Number(new URL(server.url).port));
    try {
      proxy.rate = 1.5 * MIB;
      const first = await bootAgent(proxy.url);
      const during = await until(() => captureView(id), (c) => c.uploads.blocks >= 6, 40_000, 'six blocks uploaded');
      assert.equal(during.job?.stage, 'uploading');
      first.child.kill('SIGKILL');
      await first.exited;
    } finally {
      await proxy.stop();
    }
    await sleep(300);
    const interrupted = await captureView(id);
    const firstMissing = interrupted.offer?.missing ?? 0;
    assert.equal(interrupted.state, 'uploading');
    assert.ok(interrupted.uploads.blocks < firstMissing, `${interrupted.uploads.blocks} of ${firstMissing} blocks arrived before the kill`);
    assert.deepStrictEqual((await versionsOf('web')).map((v) => v.version), [1, 2], 'nothing partial is a version');
    const job = (await machineView()).job;
    assert.equal(job.action, 'capture', 'the machine keeps its capture job');

    const second = await bootAgent();
    const done = await until(() => captureView(id), (c) => c.state !== 'waiting' && c.state !== 'uploading', 40_000, 'capture committed after the reboot');
    t.diagnostic(`first boot stored ${interrupted.uploads.blocks} of ${firstMissing} missing blocks; the second was asked for ${done.offer?.missing}`);
    assert.equal(done.state, 'committed');
    assert.equal(done.version, 3);
    assert.equal(done.job?.tries, 2);
    assert.equal(done.offer?.missing, firstMissing - interrupted.uploads.blocks, 'the re-offer asks only for blocks the store still lacks');
    assert.equal(done.uploads.duplicates, 0);
    const local = await until(machineView, (m) => m.job.action === 'local', 10_000, 'job local after the commit');
    assert.equal(local.job.id, job.id + 1, 'the same job was taken again, then replaced by local');
    await second.waitFor(/rackcast-agent: captured: version 3 of web/);
    assert.equal(await second.exited, 0);
    assert.deepStrictEqual((await versionsOf('web')).map((v) => v.version), [1, 2, 3]);
  });

  test('a capture the agent cannot do fails with its reason; the machine goes back to wait', { timeout: 60_000 }, async () => {
    // The machine boots its disk (job local) until a technician keeps it in the agent.
    const put = await fetch(`${server.url}/api/machines/${MAC}/job`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ action: 'wait' }) });
    assert.equal(put.status, 200);
    const agent = await bootAgent();
    await agent.waitFor(/rackcast-agent: waiting: for a job/);
    const cli = await runCli(['capture', MAC, '--image', 'web', '--disk', 'NO-SUCH-DISK', '--json'], cliEnv(), 50_000);
    assert.equal(cli.code, 1, cli.stderr);
    const { capture } = parseJson<{ capture: CaptureView }>(cli);
    assert.equal(capture.state, 'failed');
    assert.equal(capture.job?.failure?.code, 'RC_ERR_CAPTURE_SOURCE');
    assert.match(capture.job?.failure?.message ?? '', /no disk with serial, WWN or name NO-SUCH-DISK/);
    const line = await agent.waitFor(/rackcast-agent: capture failed: RC_ERR_CAPTURE_SOURCE/);
    await agent.waitFor(/rackcast-agent: waiting: for a job/, 10_000, line);
    assert.equal((await until(machineView, (m) => m.job.action === 'wait', 5000, 'job wait')).state, 'waiting');
    const show = await runCli(['capture', 'show', String(capture.id)], cliEnv());
    assert.match(show.stdout, /job: failed.*RC_ERR_CAPTURE_SOURCE: this machine has no disk/);
    assert.deepStrictEqual((await versionsOf('web')).map((v) => v.version), [1, 2, 3]);

    // A machine already holding a capture job (it is off: the job waits for its boot) is refused; cancelling gives it back.
    await agent.stop();
    const queued = parseJson<{ capture: CaptureView }>(await runCli(['capture', MAC, '--image', 'other', '--no-wait', '--json'], cliEnv()));
    const busy = await runCli(['capture', MAC, '--image', 'web', '--no-wait', '--json'], cliEnv());
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /RC_ERR_CAPTURE_BUSY: 52:54:00:ca:71:01 is busy with capture \d+ of other/);
    const cancel = await runCli(['capture', 'cancel', String(queued.capture.id)], cliEnv());
    assert.equal(cancel.code, 0, cancel.stderr);
    await until(machineView, (m) => m.job.action === 'wait', 5000, 'job wait after the cancel');
  });

  test('a commit naming a block the store lacks, or a capture with a bad reference, is refused and leaves no version', async () => {
    const started = parseJson<{ capture: CaptureView; token: string }>(await runCli(['capture', 'start', '--image', 'refs', '--json'], cliEnv()));
    const agentCall = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> =>
      fetch(`${server.url}/api/captures/agent${path}`, { ...init, headers: { authorization: `Bearer ${started.token}`, ...init.headers } });
    const block = randomBytes(256 * 1024);
    const manifest: Manifest = {
      hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: 256 * 1024, diskSize: 4 * MIB, partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(0) },
      blocks: [{ index: 0, offset: 0, length: block.byteLength, hash: hashBlock(block) }],
    };
    const offer = await agentCall('/offer', { method: 'POST', body: encodeManifest(manifest), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(offer.status, 200);
    assert.equal(((await offer.json()) as { offer: { missing: number } }).offer.missing, 1, 'a block the store lacks is asked for, not taken on trust');
    const config = { capturedAt: new Date().toISOString() };
    const commit = await agentCall('/commit', { method: 'POST', body: JSON.stringify({ config }), headers: { 'content-type': 'application/json' } });
    const refusal = (await commit.json()) as { error: { code: string; message: string } };
    assert.equal(commit.status, 409);
    assert.equal(refusal.error.code, 'RC_ERR_CAPTURE_INCOMPLETE');
    assert.match(refusal.error.message, /still lacks 1 blocks/);
    assert.equal((await fetch(`${server.url}/api/captures/${started.capture.id}`, { method: 'DELETE', headers: auth })).status, 200);

    // A delta against version 3 of web that references base blocks past its end, and one against a base the image never had.
    const onWeb = parseJson<{ capture: CaptureView; token: string }>(await runCli(['capture', 'start', '--image', 'web', '--json'], cliEnv()));
    const webCall = (path: string, body: Uint8Array): Promise<Response> =>
      fetch(`${server.url}/api/captures/agent${path}`, { method: 'POST', body, headers: { authorization: `Bearer ${onWeb.token}`, 'content-type': 'application/octet-stream' } });
    const info = (await (await fetch(`${server.url}/api/captures/agent`, { headers: { authorization: `Bearer ${onWeb.token}` } })).json()) as { base: { version: number; digest: string; blocks: number } };
    assert.equal(info.base.version, 3);
    const delta = (digest: Uint8Array): Uint8Array => encodeManifestDelta({
      baseDigest: digest, hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: 256 * 1024, diskSize: DISK_BYTES,
      partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(0) }, blocks: [{ kind: 'ref', baseIndex: info.base.blocks, count: 2 }],
    });
    const dangling = await webCall('/offer', delta(Buffer.from(info.base.digest, 'hex')));
    const danglingError = (await dangling.json()) as { error: { code: string; message: string } };
    assert.equal(dangling.status, 422);
    assert.equal(danglingError.error.code, 'RC_ERR_CAPTURE_BAD_OFFER');
    assert.match(danglingError.error.message, new RegExp(`reference to base blocks ${info.base.blocks}\\.\\.${info.base.blocks + 1} but the base has ${info.base.blocks}`));
    const unknownBase = await webCall('/offer', delta(randomBytes(32)));
    assert.equal(unknownBase.status, 409);
    assert.equal(((await unknownBase.json()) as { error: { code: string } }).error.code, 'RC_ERR_CAPTURE_BASE_CHANGED');
    assert.deepStrictEqual((await versionsOf('web')).map((v) => v.version), [1, 2, 3]);
    assert.deepStrictEqual(await versionsOf('refs'), []);
    assert.equal((await fetch(`${server.url}/api/captures/${onWeb.capture.id}`, { method: 'DELETE', headers: auth })).status, 200);
  });
});
