import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { DeployHarness, TOOL_ENV, run, type SessionJson } from './helpers/deploy-harness.js';
import { fakeMachine } from './helpers/fake-machine.js';
import { parseJson, runCli } from './helpers/rackcast-cli.js';

/*
 * A deploy onto disks smaller than the image's (512 MiB golden image): a real server, the image
 * in its store, real `rackcast-agent boot` processes with fake sysfs disks on loopback
 * multicast. A 480 MiB disk holds the used data: the blocks past its end (the image's backup
 * GPT) are dropped, the layout is fitted to the disk and the clone is personalised. A 300 MiB
 * disk does not: the planner refuses it, naming both sizes.
 */

const MIB = 2 ** 20;
const DEPLOY_TIMEOUT = 240_000;
const MACS = ['52:54:00:d1:00:01', '52:54:00:d1:00:02'] as const;

let h: DeployHarness;

before(async () => {
  h = await DeployHarness.start('deploy-small');
});

after(async () => {
  await h?.stop();
});

describe('deploy onto a disk smaller than the image', () => {
  test('480 MiB: restored, fitted to the disk\'s end, clean and personalised (static address); 300 MiB: refused by the planner with both sizes', async () => {
    const env = h.cliEnv;
    const [fits, short] = await Promise.all([
      fakeMachine(h.work.path, { mac: MACS[0], diskBytes: 480 * MIB, serial: 'disk-s1' }),
      fakeMachine(h.work.path, { mac: MACS[1], diskBytes: 300 * MIB, serial: 'disk-s2' }),
    ]);
    const a1 = await h.bootAgent(fits, 's1');
    const a2 = await h.bootAgent(short, 's2');
    await Promise.all([a1.waitFor(/^rackcast-agent: waiting: /, 60_000), a2.waitFor(/^rackcast-agent: waiting: /, 60_000)]);

    const created = parseJson<{ session: SessionJson }>(await runCli(['deploy', 'golden', '--machines', MACS.join(','), '--hostname-pattern', 'small-{n}', '--rate', '200mbit', '--static', '10.0.9.21/24', '--gateway', '10.0.9.1', '--dns', '10.0.9.2', '--json'], env));
    const id = created.session.id;
    await a1.waitFor(/^rackcast-agent: power: reboot \(dry run\)$/, DEPLOY_TIMEOUT);
    assert.equal(await a1.exited, 0);
    const final = await h.waitFor(id, (s) => s.deploy.state === 'complete', 30_000, 'deploy complete');
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
    const verify = await run('sfdisk', ['--verify', fits.diskPath], { env: TOOL_ENV });
    assert.match(verify.stdout, /No errors detected/);
    assert.doesNotMatch(`${verify.stdout}${verify.stderr}`, /problem|warning|differ/i, verify.stdout);
    const table = JSON.parse((await run('sfdisk', ['--json', fits.diskPath], { env: TOOL_ENV })).stdout) as { partitiontable: { lastlba: number; partitions: { start: number; size: number }[] } };
    const root = table.partitiontable.partitions[1];
    assert.ok(root);
    assert.equal(table.partitiontable.lastlba, 480 * MIB / 512 - 34, 'the backup GPT is at the disk\'s end');
    assert.equal(root.start + root.size - 1, table.partitiontable.lastlba, 'the root partition reaches the disk\'s end');
    const rootFs = `${fits.diskPath}?offset=${root.start * 512}`;
    await run('e2fsck', ['-fn', rootFs], { env: TOOL_ENV });
    const hostname = (await run('debugfs', ['-R', 'cat /etc/hostname', rootFs], { env: TOOL_ENV })).stdout.trim();
    assert.equal(hostname, 'small-1');
    // --static: the first machine's boot NIC gets the first address, written for what the image uses (ifupdown).
    assert.deepEqual(plan.personalise.nics, [{ mac: MACS[0], mode: 'static', address: '10.0.9.21/24', gateway: '10.0.9.1', dns: ['10.0.9.2'] }]);
    const interfaces = (await run('debugfs', ['-R', 'cat /etc/network/interfaces', rootFs], { env: TOOL_ENV })).stdout;
    assert.match(interfaces, /inet static\s+address 10\.0\.9\.21\/24/, interfaces);
    assert.match(interfaces, /gateway 10\.0\.9\.1/, interfaces);
    assert.equal(done?.hostname, 'small-1');
  });
});
