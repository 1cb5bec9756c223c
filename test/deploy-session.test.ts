import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DeployHarness, TOOL_ENV, run, type SessionJson } from './helpers/deploy-harness.js';
import { readRange } from './helpers/file-range.js';
import { fakeMachine } from './helpers/fake-machine.js';
import { parseJson, runCli } from './helpers/rackcast-cli.js';

/*
 * Deploy sessions end to end on this host: a real server (in this process), the golden image
 * imported into its store, and three real `rackcast-agent boot` processes, each with a fake sysfs
 * that gives it one disk and that disk as a sparse file. The stream is real UDP multicast on
 * loopback (a group and port of this test's own). One member is refused by its agent (the disk
 * serial differs from the plan), one is killed mid-stream and started again, and the clones are
 * checked on their disk files: the image's bytes, the layout fitted, the host names set.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MIB = 2 ** 20;
const GIB = 2 ** 30;
const DEPLOY_TIMEOUT = 240_000;
const MACS = ['52:54:00:d0:00:01', '52:54:00:d0:00:02', '52:54:00:d0:00:03'] as const;

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

let h: DeployHarness;

before(async () => {
  h = await DeployHarness.start('deploy');
});

after(async () => {
  await h?.stop();
});

describe('deploy sessions with real agents on loopback multicast', () => {
  test('three machines: two restored, verified, fitted, personalised and rebooted (one after a reset mid-stream); one refused by its agent with its reason', async (t) => {
    const started = Date.now();
    const env = h.cliEnv;
    const [m1, m2, m3] = await Promise.all([
      fakeMachine(h.work.path, { mac: MACS[0], diskBytes: GIB, serial: 'disk-d1' }),
      fakeMachine(h.work.path, { mac: MACS[1], diskBytes: 768 * MIB, serial: 'disk-d2' }),
      fakeMachine(h.work.path, { mac: MACS[2], diskBytes: GIB, serial: 'disk-d3-replaced', initialHead: randomBytes(2 * MIB) }),
    ]);
    // Machine 3 registered once with another disk (serial disk-d3): its plan names that disk.
    const stale = await h.bootAgent({ ...m3, sysfs: (await fakeMachine(join(h.work.path, 'old'), { mac: MACS[2], diskBytes: GIB, serial: 'disk-d3' })).sysfs }, 'm3-old');
    await stale.waitFor(/^rackcast-agent: waiting: /, 60_000);
    await stale.stop();
    const a1 = await h.bootAgent(m1, 'm1');
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

    const a2 = await h.bootAgent(m2, 'm2');
    const a3 = await h.bootAgent(m3, 'm3');
    await a3.waitFor(/^rackcast-agent: deploy: failed: RC_ERR_DISK_NOT_FOUND/, 60_000);

    // Machine 2 is reset a quarter of the way in, then boots again and resumes.
    const mid = await h.waitFor(id, (s) => { const m = s.deploy.members[1]; return m !== undefined && m.state === 'receiving' && m.bytesDone > m.bytesTotal / 4; }, 120_000, 'machine 2 a quarter in');
    a2.child.kill('SIGKILL');
    await a2.exited;
    const heldAtKill = mid.deploy.members[1]?.tries[0]?.fetchedBlocks ?? 0;
    const a2b = await h.bootAgent(m2, 'm2-again');

    for (const agent of [a1, a2b]) {
      await agent.waitFor(/^rackcast-agent: power: reboot \(dry run\)$/, DEPLOY_TIMEOUT);
      assert.equal(await agent.exited, 0);
    }
    const final = await h.waitFor(id, (s) => s.deploy.state === 'complete', 30_000, 'deploy complete');
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
      assert.equal(sha256(esp), sha256(await readRange(h.golden, MIB, 64 * MIB)), 'the ESP is the image\'s, byte for byte');
      const table = JSON.parse((await run('sfdisk', ['--json', m.diskPath], { env: TOOL_ENV })).stdout) as { partitiontable: { lastlba: number; partitions: { start: number; size: number }[] } };
      const root = table.partitiontable.partitions[1];
      assert.ok(root);
      assert.equal(table.partitiontable.lastlba, size / 512 - 34, 'the backup GPT is at the disk\'s end');
      assert.equal(root.start + root.size - 1, table.partitiontable.lastlba, 'the root partition reaches the disk\'s end');
      const hostname = (await run('debugfs', ['-R', 'cat /etc/hostname', `${m.diskPath}?offset=${root.start * 512}`], { env: TOOL_ENV })).stdout.trim();
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
