import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importImage, loadConfig, silentLogger, startServer, type DeployView, type RunningServer } from '@rackcast/server';
import { AgentProcess, cmdlineFromScript } from './helpers/agent-process.js';
import { fakeMachine, type FakeMachine } from './helpers/fake-machine.js';
import { parseJson, runCli } from './helpers/rackcast-cli.js';
import { tempDir } from './helpers/temp-dir.js';

/*
 * Deploy sessions end to end on this host: a real server (in this process), the golden image
 * imported into its store, and three real `rackcast-agent boot` processes, each with a fake sysfs
 * that gives it one disk and that disk as a sparse file. The stream is real UDP multicast on
 * loopback (a group and port of this test's own). One member is refused by its agent (the disk
 * serial differs from the plan), one is killed mid-stream and started again, and the clones are
 * checked on their disk files: the image's bytes, the layout fitted, the host names set.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENV = { ...process.env, PATH: `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };
const MIB = 2 ** 20;
const GIB = 2 ** 30;
const DEPLOY_TIMEOUT = 240_000;
const MACS = ['52:54:00:d0:00:01', '52:54:00:d0:00:02', '52:54:00:d0:00:03'] as const;

interface SessionJson {
  id: number;
  phase: string;
  blockCount: number;
  receivers: { id: string; registrations: number; state: string }[];
  deploy: DeployView;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

async function readRange(path: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, offset);
    return buf;
  } finally {
    await handle.close();
  }
}

let work: Awaited<ReturnType<typeof tempDir>>;
let server: RunningServer;
let golden: string;
const agents: AgentProcess[] = [];

async function session(id: number): Promise<SessionJson> {
  const res = await fetch(`${server.url}/api/sessions/${id}`);
  return ((await res.json()) as { session: SessionJson }).session;
}

/** Polls the session (every 250 ms, bounded) until `check` holds. */
async function waitFor(id: number, check: (s: SessionJson) => boolean, timeoutMs: number, what: string): Promise<SessionJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await session(id);
    if (check(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms: ${JSON.stringify(s.deploy?.members.map((m) => [m.mac, m.state, m.bytesDone, m.failure]))}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The kernel command line the machine's iPXE script gives it (a fresh one-time token each boot). */
async function bootLine(mac: string): Promise<string> {
  const script = await (await fetch(`${server.url}/boot/ipxe?mac=${mac}&uuid=&platform=pcbios&buildarch=i386`)).text();
  return cmdlineFromScript(script, mac);
}

async function bootAgent(machine: FakeMachine, name: string): Promise<AgentProcess> {
  const agent = await AgentProcess.start(work.path, name, await bootLine(machine.mac), ['--sysfs-root', machine.sysfs, '--dev-dir', machine.devDir]);
  agents.push(agent);
  return agent;
}

before(async () => {
  work = await tempDir('deploy');
  golden = join(work.path, 'golden.img');
  await run(join(ROOT, 'scripts', 'build-golden-image'), [golden], { cwd: ROOT, env: ENV, timeout: 600_000 });
  const base = loadConfig(undefined, { RACKCAST_STORE_DIR: join(work.path, 'store'), RACKCAST_HTTP_PORT: '0' });
  // A group and port of this run's own: other tests may stream on loopback at the same time.
  const config = { ...base, multicast: { ...base.multicast, interface: '127.0.0.1', groupBase: `239.${randomInt(100, 200)}.${randomInt(0, 200)}.0`, portBase: randomInt(20_000, 40_000) } };
  server = await startServer(config, silentLogger(), { announceMs: 500, reportTimeoutMs: 1000, deadAfterMs: 3000, startTimeoutMs: 30_000, lostGraceMs: 30_000 });
  await importImage(server.store, { file: golden, name: 'golden' });
});

after(async () => {
  for (const a of agents) await a.stop();
  await server?.stop();
  await work?.remove();
});

describe('deploy sessions with real agents on loopback multicast', () => {
  test('three machines: two restored, verified, fitted, personalised and rebooted (one after a reset mid-stream); one refused by its agent with its reason', async (t) => {
    const started = Date.now();
    const env = { RACKCAST_STORE_DIR: server.config.store.dir, PATH: ENV.PATH };
    const [m1, m2, m3] = await Promise.all([
      fakeMachine(work.path, { mac: MACS[0], diskBytes: GIB, serial: 'disk-d1' }),
      fakeMachine(work.path, { mac: MACS[1], diskBytes: 768 * MIB, serial: 'disk-d2' }),
      fakeMachine(work.path, { mac: MACS[2], diskBytes: GIB, serial: 'disk-d3-replaced', initialHead: randomBytes(2 * MIB) }),
    ]);
    // Machine 3 registered once with another disk (serial disk-d3): its plan names that disk.
    const stale = await bootAgent({ ...m3, sysfs: (await fakeMachine(join(work.path, 'old'), { mac: MACS[2], diskBytes: GIB, serial: 'disk-d3' })).sysfs }, 'm3-old');
    await stale.waitFor(/^rackcast-agent: waiting: /, 60_000);
    await stale.stop();
    const a1 = await bootAgent(m1, 'm1');
    await a1.waitFor(/^rackcast-agent: waiting: /, 60_000);
    const m3Before = sha256(await readFile(m3.diskPath));

    const dry = await runCli(['deploy', 'golden', '--machines', MACS.join(','), '--hostname-pattern', 'rack1-{n}', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /machine 1 52:54:00:d0:00:01: rack1-1\n {2}disk: vda 1\.00 GiB serial disk-d1/);
    assert.match(dry.stdout, /machine 2 52:54:00:d0:00:02: no profile yet/);
    assert.match(dry.stdout, /dry run: nothing was changed/);

    const created = parseJson<{ session: SessionJson }>(await runCli(['deploy', 'golden', '--machines', MACS.join(','), '--hostname-pattern', 'rack1-{n}', '--rate', '40mbit', '--json'], env));
    const id = created.session.id;
    assert.deepEqual(created.session.deploy.members.map((m) => m.state), ['planned', 'waiting-for-boot', 'planned']);
    const watch = spawn(process.execPath, [join(ROOT, 'server', 'bin', 'rackcast.js'), 'session', 'watch', String(id), '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let watchOut = '';
    watch.stdout.on('data', (d: Buffer) => { watchOut += d.toString(); });
    const watchExit = new Promise<number | null>((resolve) => watch.on('exit', resolve));

    const a2 = await bootAgent(m2, 'm2');
    const a3 = await bootAgent(m3, 'm3');
    await a3.waitFor(/^rackcast-agent: deploy: failed: RC_ERR_DISK_NOT_FOUND/, 60_000);

    // Machine 2 is reset a quarter of the way in, then boots again and resumes.
    const mid = await waitFor(id, (s) => { const m = s.deploy.members[1]; return m !== undefined && m.state === 'receiving' && m.bytesDone > m.bytesTotal / 4; }, 120_000, 'machine 2 a quarter in');
    a2.child.kill('SIGKILL');
    await a2.exited;
    const heldAtKill = mid.deploy.members[1]?.tries[0]?.fetchedBlocks ?? 0;
    const a2b = await bootAgent(m2, 'm2-again');

    for (const agent of [a1, a2b]) {
      await agent.waitFor(/^rackcast-agent: power: reboot \(dry run\)$/, DEPLOY_TIMEOUT);
      assert.equal(await agent.exited, 0);
    }
    const final = await waitFor(id, (s) => s.deploy.state === 'complete', 30_000, 'deploy complete');
    const [d1, d2, d3] = final.deploy.members;
    assert.deepEqual(final.deploy.members.map((m) => m.state), ['done', 'done', 'failed']);
    assert.equal(d3?.failure?.code, 'RC_ERR_DISK_NOT_FOUND');
    assert.match(d3?.failure?.message ?? '', /disk-d3/);
    assert.equal(sha256(await readFile(m3.diskPath)), m3Before, 'the refused machine\'s disk is untouched');

    // The reset member: a second try that kept what was on the disk and fetched only the rest.
    const tries = d2?.tries ?? [];
    assert.equal(tries.length, 2, JSON.stringify(tries));
    const [, second] = tries;
    // Blocks over the boot area (wiped again at the start of every try) are fetched again: at
    // most the first MiB (4 blocks of 256 KiB) and the block holding the image's backup GPT.
    assert.ok(second && second.resumedBlocks >= heldAtKill - 5 && second.resumedBlocks > 0, `the second try kept the ${heldAtKill} blocks the first had reported: ${JSON.stringify(tries)}`);
    const total = final.blockCount;
    assert.equal(second.resumedBlocks + second.fetchedBlocks, total, 'the second try fetched exactly the blocks it lacked');
    assert.ok(second.fetchedBlocks < total, 'and not the whole image');
    assert.deepEqual(final.receivers.map((r) => r.registrations).sort(), [1, 2], 'the reset machine came back as the same receiver');
    assert.deepEqual([d1?.tries.length, d1?.tries[0]?.outcome], [1, 'done']);
    t.diagnostic(`deployed ${total} blocks to 2 machines in ${((Date.now() - started) / 1000).toFixed(1)} s; reset member tries: ${JSON.stringify(tries.map((x) => [x.resumedBlocks, x.fetchedBlocks]))}; ` +
      `session: ${final.phase}, receivers ${JSON.stringify(final.receivers.map((r) => [r.state, r.registrations]))}`);

    // The clones on their disks.
    for (const [m, member, size] of [[m1, d1, GIB], [m2, d2, 768 * MIB]] as const) {
      const plan = member?.plan;
      assert.ok(plan);
      const esp = await readRange(m.diskPath, MIB, 64 * MIB);
      assert.equal(sha256(esp), sha256(await readRange(golden, MIB, 64 * MIB)), 'the ESP is the image\'s, byte for byte');
      const table = JSON.parse((await run('sfdisk', ['--json', m.diskPath], { env: ENV })).stdout) as { partitiontable: { lastlba: number; partitions: { start: number; size: number }[] } };
      const root = table.partitiontable.partitions[1];
      assert.ok(root);
      assert.equal(table.partitiontable.lastlba, size / 512 - 34, 'the backup GPT is at the disk\'s end');
      assert.equal(root.start + root.size - 1, table.partitiontable.lastlba, 'the root partition reaches the disk\'s end');
      const hostname = (await run('debugfs', ['-R', 'cat /etc/hostname', `${m.diskPath}?offset=${root.start * 512}`], { env: ENV })).stdout.trim();
      assert.equal(hostname, member?.hostname);
    }
    assert.deepEqual([d1?.hostname, d2?.hostname], ['rack1-1', 'rack1-2']);

    // The watcher saw machines receiving, then done at 100 %, and exited (1: one machine failed).
    assert.equal(await watchExit, 1);
    const events = watchOut.trim().split('\n').map((l) => JSON.parse(l) as SessionJson);
    assert.ok(events.some((e) => e.deploy.members.some((m) => m.state === 'receiving' && m.bytesDone > 0 && m.bytesDone < m.bytesTotal)), 'progress between 0 and 100 % was pushed');
    const last = events.at(-1)?.deploy;
    assert.equal(last?.state, 'complete');
    for (const m of last?.members.slice(0, 2) ?? []) assert.deepEqual([m.state, m.bytesDone], ['done', m.bytesTotal]);
  });
});
