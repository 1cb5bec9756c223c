import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportImage } from '@rackcast/server';
import { apiAuth, type RoleHeaders } from './helpers/api-auth.js';
import { DeployHarness, TOOL_ENV, run } from './helpers/deploy-harness.js';
import { readRange } from './helpers/file-range.js';
import { fakeMachine } from './helpers/fake-machine.js';
import { parseJson, runCli } from './helpers/rackcast-cli.js';

/*
 * One-touch recovery on this host: the golden image stands in for two captures of "web-07"
 * (image "web", with web-07's profile and captured configuration: a static address on its NIC
 * 52:54:00:e0:00:01), and a replacement with another MAC and a larger disk is restored from it
 * by a real `rackcast-agent boot` over loopback multicast. The restored disk is read back: the
 * image's bytes, web-07's host name, its static address now keyed to the new MAC, and its
 * machine-id kept (the same host comes back, not a clone).
 */

const MIB = 2 ** 20;
const GIB = 2 ** 30;
const SOURCE = '52:54:00:e0:00:01';
const TARGET = '52:54:00:e0:00:02';
const FIRST = '2025-03-01T09:00:00.000Z';
const SECOND = '2025-03-02T09:00:00.000Z';
const RESTORE_TIMEOUT = 240_000;

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

interface RestoreJson {
  id: number | null;
  session: number | null;
  image: string;
  version: number;
  capturedAt: string;
  target: { mac: string; seen: boolean };
  note: string;
  diff: { area: string; severity: string; source: string; target: string; message: string }[];
  nicMap: { interface: string; sourceMac: string; targetMac: string | null; match: string; mode: string; address: string }[];
  plan: { personalise: { hostname: string; nics: { mac: string; mode: string; address: string }[]; newMachineId: boolean; removeSshHostKeys: boolean } } | null;
  refused: { code: string; message: string } | null;
  member: { state: string; bytesDone: number; bytesTotal: number; failure: unknown } | null;
}

function sourceProfile(): unknown {
  return {
    schema: 1, detectedAt: FIRST,
    system: { uuid: '0e0e0e0e-0000-4000-8000-000000000001', serial: 'SN-WEB07', vendor: 'QEMU', model: 'pc', boardVendor: '', boardModel: '', boardSerial: '', chassisType: '1', chassisSerial: '', assetTag: '' },
    firmware: { mode: 'bios', vendor: 'SeaBIOS', version: '', date: '', secureBoot: null },
    cpu: { vendor: '', model: '', architecture: '', sockets: 0, cores: 0, threads: 0, mhz: 0 },
    memory: { totalBytes: 0 },
    disks: [{ name: 'vda', sizeBytes: 512 * MIB, logicalBlockSize: 512, physicalBlockSize: 512, rotational: false, removable: false, readOnly: false, model: '', vendor: '', serial: 'disk-web07', wwn: '', transport: 'virtio', sysfsPath: 'pci0000:00/0000:00:04.0/virtio1' }],
    nics: [{ name: 'eth0', mac: SOURCE, driver: 'virtio_net', speedMbps: null, carrier: true, operstate: 'up', mtu: 1500, sysfsPath: 'pci0000:00/0000:00:03.0/virtio0', addresses: [] }],
    problems: [],
  };
}

function capturedConfig(at: string, address: string): unknown {
  return {
    schema: 1, capturedAt: at, hostname: 'web-07', firmwareMode: 'bios', disk: { path: '/dev/vda', sizeBytes: 512 * MIB }, partitionTable: null, filesystems: [],
    interfaces: [{ name: 'eth0', mac: SOURCE, source: 'ifupdown', dhcp4: false, dhcp6: false, addresses: [address], gateways: ['10.9.0.1'], dns: ['10.9.0.53'] }],
    bootEntries: null, problems: [],
  };
}

let h: DeployHarness;
let auth: RoleHeaders;

before(async () => {
  h = await DeployHarness.start('restore');
  auth = await apiAuth(h.server);
  // Two captures of web-07, as a capture commits them: the golden image's blocks with web-07's profile and configuration.
  const store = h.server.store;
  const manifest = await store.readManifest(await store.resolveVersion('golden', 1));
  for (const [i, [at, address]] of [[FIRST, '10.9.0.7/24'], [SECOND, '10.9.0.8/24']].entries()) {
    await store.commitManifest('web', manifest, {
      source: { kind: 'capture', capture: i + 1, offer: 'full', machine: SOURCE }, createdAt: new Date(at as string),
      profile: sourceProfile() as never, config: capturedConfig(at as string, address as string) as never,
    }, new Map());
  }
});

after(async () => {
  await h?.stop();
});

async function getRestore(id: number): Promise<RestoreJson> {
  const res = await fetch(`${h.server.url}/api/restores/${id}`, { headers: auth.viewer });
  assert.equal(res.status, 200);
  return ((await res.json()) as { restore: RestoreJson }).restore;
}

describe('rackcast restore', () => {
  test('a time before the first capture says so (CLI and API)', async () => {
    const cli = await runCli(['restore', SOURCE, '--at', '2025-02-01T00:00:00Z', '--dry-run', '--json'], h.cliEnv);
    assert.equal(cli.code, 1);
    const answer = parseJson<{ error: { code: string; message: string } }>(cli);
    assert.equal(answer.error.code, 'RC_ERR_RESTORE_BEFORE_FIRST');
    assert.equal(answer.error.message, `the first version of web from ${SOURCE} was captured at ${FIRST}; nothing to restore at 2025-02-01T00:00:00.000Z`);
    const res = await fetch(`${h.server.url}/api/restores`, {
      method: 'POST', headers: { ...auth.operator, 'content-type': 'application/json' }, body: JSON.stringify({ machine: SOURCE, at: '2025-02-01T00:00:00Z', dryRun: true }),
    });
    assert.equal(res.status, 422);
    const unknown = await runCli(['restore', '52:54:00:e0:00:99', '--dry-run'], h.cliEnv);
    assert.match(unknown.stderr, /RC_ERR_RESTORE_NO_VERSION: no capture of 52:54:00:e0:00:99 is in the store/);
  });

  test('dry run, then a real restore onto a replacement with another MAC and a larger disk: identity re-applied, machine-id kept', async (t) => {
    const started = Date.now();
    const env = h.cliEnv;
    const at = ['--at', '2025-03-01T12:00:00Z'];
    const unseen = parseJson<{ restore: RestoreJson }>(await runCli(['restore', SOURCE, ...at, '--onto', TARGET, '--dry-run', '--json'], env)).restore;
    assert.deepEqual([unseen.image, unseen.version, unseen.capturedAt, unseen.target.seen, unseen.plan], ['web', 1, FIRST, false, null]);
    assert.match(unseen.note, /target not seen yet/);

    const machine = await fakeMachine(h.work.path, { mac: TARGET, diskBytes: GIB, serial: 'disk-new' });
    const agent = await h.bootAgent(machine, 'target');
    await agent.waitFor(/^rackcast-agent: waiting: /, 60_000);

    const dry = await runCli(['restore', SOURCE, ...at, '--onto', TARGET, '--dry-run', '--json'], env);
    assert.equal(dry.code, 0, dry.stderr);
    const planned = parseJson<{ restore: RestoreJson }>(dry).restore;
    assert.equal(planned.id, null);
    assert.deepEqual(planned.nicMap.map((m) => [m.interface, m.sourceMac, m.targetMac, m.match, m.mode, m.address]), [['eth0', SOURCE, TARGET, 'boot-nic', 'static', '10.9.0.7/24']]);
    assert.deepEqual(planned.diff.filter((d) => d.severity !== 'info').map((d) => [d.area, d.severity, d.source, d.target]), [['disk', 'adapt', '512.0 MiB', '1.0 GiB'], ['nic', 'adapt', SOURCE, TARGET]]);
    assert.deepEqual(planned.plan?.personalise.nics, [{ mac: TARGET, mode: 'static', address: '10.9.0.7/24', gateway: '10.9.0.1', dns: ['10.9.0.53'] }]);
    assert.deepEqual([planned.plan?.personalise.hostname, planned.plan?.personalise.newMachineId, planned.plan?.personalise.removeSshHostKeys], ['web-07', false, false]);
    const text = await runCli(['restore', SOURCE, ...at, '--onto', TARGET, '--dry-run'], env);
    assert.match(text.stdout, /^restore web-07 from web@1 \(captured 2025-03-01T09:00:00\.000Z\) onto 52:54:00:e0:00:02\n/);
    assert.match(text.stdout, /\nADAPT +nic +52:54:00:e0:00:01 +52:54:00:e0:00:02 +eth0 \(ifupdown, static 10\.9\.0\.7\/24\) moves to 52:54:00:e0:00:02 \(boot NIC to boot NIC\)\n/);
    assert.match(text.stdout, /personalise: hostname web-07; 52:54:00:e0:00:02 static; new machine-id no; host keys kept/);
    assert.match(text.stdout, /dry run: nothing was changed\n$/);

    const start = await runCli(['restore', SOURCE, ...at, '--onto', TARGET, '--rate', '200mbit', '--json', '--no-watch'], env);
    assert.equal(start.code, 0, start.stderr);
    const restore = parseJson<{ restore: RestoreJson }>(start).restore;
    assert.ok(restore.id !== null && restore.session !== null);
    await agent.waitFor(/^rackcast-agent: power: reboot \(dry run\)$/, RESTORE_TIMEOUT);
    assert.equal(await agent.exited, 0);
    let done = await getRestore(restore.id);
    for (let i = 0; i < 60 && done.member?.state !== 'done'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      done = await getRestore(restore.id);
    }
    assert.equal(done.member?.state, 'done', JSON.stringify(done.member));
    assert.equal(done.member?.bytesDone, done.member?.bytesTotal);
    const listed = (await (await fetch(`${h.server.url}/api/restores`, { headers: auth.viewer })).json()) as { restores: RestoreJson[] };
    assert.deepEqual(listed.restores.map((r) => [r.id, r.session, r.version]), [[restore.id, restore.session, 1]]);

    // The restored disk: the image's ESP byte for byte, web-07's identity on the new MAC, its machine-id kept.
    const exported = join(h.work.path, 'web-1.img');
    await exportImage(h.server.store, { name: 'web', version: 1, out: exported });
    assert.equal(sha256(await readRange(machine.diskPath, MIB, 64 * MIB)), sha256(await readRange(exported, MIB, 64 * MIB)), 'the ESP is the version\'s, byte for byte');
    const table = JSON.parse((await run('sfdisk', ['--json', machine.diskPath], { env: TOOL_ENV })).stdout) as { partitiontable: { lastlba: number; partitions: { start: number; size: number }[] } };
    const root = table.partitiontable.partitions[1];
    assert.ok(root);
    assert.equal(root.start + root.size - 1, table.partitiontable.lastlba, 'the root partition was fitted to the larger disk');
    const cat = async (disk: string, path: string) => (await run('debugfs', ['-R', `cat ${path}`, `${disk}?offset=${root.start * 512}`], { env: TOOL_ENV })).stdout;
    assert.equal(await cat(machine.diskPath, '/etc/hostname'), 'web-07\n');
    assert.match(await cat(machine.diskPath, '/etc/network/interfaces'), /^# 52:54:00:e0:00:02\nallow-hotplug eth0\niface eth0 inet static\n\taddress 10\.9\.0\.7\/24\n\tgateway 10\.9\.0\.1\n\tdns-nameservers 10\.9\.0\.53$/m);
    const machineId = await cat(exported, '/etc/machine-id');
    assert.match(machineId, /^[0-9a-f]{32}\n$/);
    assert.equal(await cat(machine.diskPath, '/etc/machine-id'), machineId, 'the captured machine-id is kept');
    const keys = async (disk: string) => (await run('debugfs', ['-R', 'ls /etc/ssh', `${disk}?offset=${root.start * 512}`], { env: TOOL_ENV })).stdout.match(/ssh_host_\w+/g)?.sort() ?? [];
    assert.ok((await keys(exported)).length > 0);
    assert.deepEqual(await keys(machine.diskPath), await keys(exported), 'the SSH host keys are kept');
    t.diagnostic(`restore onto a replacement: ${((Date.now() - started) / 1000).toFixed(1)} s, ${done.member?.bytesTotal} bytes`);
  });
});
