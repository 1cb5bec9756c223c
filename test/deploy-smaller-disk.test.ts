import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { stat } from 'node:fs/promises';
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
 * A deploy onto disks smaller than the image's (512 MiB golden image): a real server, the image
 * in its store, real `rackcast-agent boot` processes with fake sysfs disks on loopback
 * multicast. A 480 MiB disk holds the used data: the blocks past its end (the image's backup
 * GPT) are dropped, the layout is fitted to the disk and the clone is personalised. A 300 MiB
 * disk does not: the planner refuses it, naming both sizes.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENV = { ...process.env, PATH: `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };
const MIB = 2 ** 20;
const DEPLOY_TIMEOUT = 240_000;
const MACS = ['52:54:00:d1:00:01', '52:54:00:d1:00:02'] as const;

interface SessionJson {
  id: number;
  deploy: DeployView;
}

let work: Awaited<ReturnType<typeof tempDir>>;
let server: RunningServer;
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
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms: ${JSON.stringify(s.deploy.members.map((m) => [m.mac, m.state, m.bytesDone, m.failure]))}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function bootAgent(machine: FakeMachine, name: string): Promise<AgentProcess> {
  const script = await (await fetch(`${server.url}/boot/ipxe?mac=${machine.mac}&uuid=&platform=pcbios&buildarch=i386`)).text();
  const agent = await AgentProcess.start(work.path, name, cmdlineFromScript(script, machine.mac), ['--sysfs-root', machine.sysfs, '--dev-dir', machine.devDir]);
  agents.push(agent);
  return agent;
}

before(async () => {
  work = await tempDir('deploy-small');
  const golden = join(work.path, 'golden.img');
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

describe('deploy onto a disk smaller than the image', () => {
  test('480 MiB: restored, fitted to the disk\'s end, clean and personalised (static address); 300 MiB: refused by the planner with both sizes', async () => {
    const env = { RACKCAST_STORE_DIR: server.config.store.dir, PATH: ENV.PATH };
    const [fits, short] = await Promise.all([
      fakeMachine(work.path, { mac: MACS[0], diskBytes: 480 * MIB, serial: 'disk-s1' }),
      fakeMachine(work.path, { mac: MACS[1], diskBytes: 300 * MIB, serial: 'disk-s2' }),
    ]);
    const a1 = await bootAgent(fits, 's1');
    const a2 = await bootAgent(short, 's2');
    await Promise.all([a1.waitFor(/^rackcast-agent: waiting: /, 60_000), a2.waitFor(/^rackcast-agent: waiting: /, 60_000)]);

    const created = parseJson<{ session: SessionJson }>(await runCli(['deploy', 'golden', '--machines', MACS.join(','), '--hostname-pattern', 'small-{n}', '--rate', '200mbit', '--static', '10.0.9.21/24', '--gateway', '10.0.9.1', '--dns', '10.0.9.2', '--json'], env));
    const id = created.session.id;
    await a1.waitFor(/^rackcast-agent: power: reboot \(dry run\)$/, DEPLOY_TIMEOUT);
    assert.equal(await a1.exited, 0);
    const final = await waitFor(id, (s) => s.deploy.state === 'complete', 30_000, 'deploy complete');
    const [done, refused] = final.deploy.members;
    assert.deepEqual(final.deploy.members.map((m) => m.state), ['done', 'failed']);

    const plan = done?.plan;
    assert.ok(plan);
    assert.ok(plan.image.usedEndBytes < 480 * MIB && plan.image.usedEndBytes > 300 * MIB, `the image's used end (${plan.image.usedEndBytes}) leaves out its backup GPT`);
    assert.deepEqual([plan.image.diskBytes, plan.target.sizeBytes], [512 * MIB, 480 * MIB]);
    assert.equal(refused?.failure?.code, 'RC_ERR_PLAN_DISK_TOO_SMALL');
    assert.match(refused?.failure?.message ?? '', new RegExp(`needs ${plan.image.usedEndBytes} bytes .* vda \\(300\\.0 MiB.* has ${300 * MIB}`));

    assert.equal((await stat(fits.diskPath)).size, 480 * MIB, 'nothing was written past the disk\'s end');
    // The clone: a clean table ending at the disk's end, a clean root, the host name set.
    const verify = await run('sfdisk', ['--verify', fits.diskPath], { env: ENV });
    assert.match(verify.stdout, /No errors detected/);
    assert.doesNotMatch(`${verify.stdout}${verify.stderr}`, /problem|warning|differ/i, verify.stdout);
    const table = JSON.parse((await run('sfdisk', ['--json', fits.diskPath], { env: ENV })).stdout) as { partitiontable: { lastlba: number; partitions: { start: number; size: number }[] } };
    const root = table.partitiontable.partitions[1];
    assert.ok(root);
    assert.equal(table.partitiontable.lastlba, 480 * MIB / 512 - 34, 'the backup GPT is at the disk\'s end');
    assert.equal(root.start + root.size - 1, table.partitiontable.lastlba, 'the root partition reaches the disk\'s end');
    const rootFs = `${fits.diskPath}?offset=${root.start * 512}`;
    await run('e2fsck', ['-fn', rootFs], { env: ENV });
    const hostname = (await run('debugfs', ['-R', 'cat /etc/hostname', rootFs], { env: ENV })).stdout.trim();
    assert.equal(hostname, 'small-1');
    // --static: the first machine's boot NIC gets the first address, written for what the image uses (ifupdown).
    assert.deepEqual(plan.personalise.nics, [{ mac: MACS[0], mode: 'static', address: '10.0.9.21/24', gateway: '10.0.9.1', dns: ['10.0.9.2'] }]);
    const interfaces = (await run('debugfs', ['-R', 'cat /etc/network/interfaces', rootFs], { env: ENV })).stdout;
    assert.match(interfaces, /inet static\s+address 10\.0\.9\.21\/24/, interfaces);
    assert.match(interfaces, /gateway 10\.0\.9\.1/, interfaces);
    assert.equal(done?.hostname, 'small-1');
  });
});
