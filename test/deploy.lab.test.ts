// Deploy end to end with real firmware, in the QEMU lab: virtual machines PXE-boot from Rackcast,
// receive the golden image over multicast, verify, fit and personalise it, reboot from their
// disks and print the clone marker. Everything the test checks comes from the server's API and
// the machines' serial consoles; nobody types on a console.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { localAdminHeaders } from './helpers/api-auth.js';
import { parseCloneMarker, type CloneMarker } from './helpers/clone-marker.js';
import { LabDriver, waitFor } from './helpers/lab-driver.js';

interface Member {
  mac: string;
  index: number;
  hostname: string;
  state: string;
  bytesDone: number;
  bytesTotal: number;
  failure: { code: string; message: string } | null;
  tries: Array<{ n: number; resumedBlocks: number; fetchedBlocks: number; outcome: string | null }>;
}
interface SessionView {
  session: { id: number; blockCount?: number; deploy: null | { state: string; done: number; failed: number; members: Member[] } };
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BOOT_TIMEOUT_MS = 12 * 60_000;

const lab = new LabDriver('rcdp');
let goldenRootfsBytes = 0;

before(async () => {
  await lab.upWithGolden();
  goldenRootfsBytes = await rootfsBytesOfGolden();
});

after(async () => {
  await lab.down();
});

test('N = 1 and N = 3: SeaBIOS and OVMF machines deploy over multicast and boot their own personalised clones', { timeout: 40 * 60_000 }, async (t) => {
  // N = 1: one machine, power-on to marker.
  const alone = await deployAndBoot(t, [{ name: 'solo', args: ['--disk', '1G'] }], 'solo-{n}');
  const aloneSeconds = alone.seconds;

  // N = 3: mixed firmware, different disk sizes, one machine with two disks.
  const three = await deployAndBoot(t, [
    { name: 'r1', args: ['--disk', '1G'] },
    { name: 'r2', args: ['--uefi', '--disk', '2G', '--mem', '1536'] },
    { name: 'r3', args: ['--disk', '1536M', '--disk', '3G'] },
  ], 'rack1-{n}');
  t.diagnostic(`power-on to marker: N=1 ${aloneSeconds.toFixed(0)} s, N=3 ${three.seconds.toFixed(0)} s, ratio N3/N1 ${(three.seconds / aloneSeconds).toFixed(2)} (software emulation, 2 cores shared by every VM)`);

  const markers = three.markers;
  assert.deepEqual(new Set(markers.map((m) => m.hostname)), new Set(['rack1-1', 'rack1-2', 'rack1-3']), 'distinct host names from the pattern');
  assert.equal(new Set(markers.map((m) => m.machineId)).size, 3, 'distinct machine-ids');
  for (const m of markers) assert.notEqual(m.machineId, alone.markers[0]?.machineId);
  const byName = new Map(three.vms.map((vm, i) => [vm.name, markers[i] as CloneMarker]));
  const expectDisk: Record<string, number> = { r1: 1 * GiB, r2: 2 * GiB, r3: 1536 * MiB };
  for (const vm of three.vms) {
    const m = byName.get(vm.name) as CloneMarker;
    assert.equal(m.mac, vm.mac, `${vm.name}: its own MAC`);
    assert.equal(m.diskBytes, expectDisk[vm.name], `${vm.name}: booted from the planned disk`);
    assert.ok(m.rootfsBytes > goldenRootfsBytes, `${vm.name}: root filesystem grown (${m.rootfsBytes} > ${goldenRootfsBytes})`);
  }
  assert.equal(byName.get('r2')?.firmware, 'uefi');
  assert.equal(byName.get('r1')?.firmware, 'bios');
  // r3's second disk (3 GiB) was not planned: it is still all zeros.
  assert.equal(await sha256File(join(lab.stateDir, 'vms', 'r3', 'disk1.raw')), await zerosSha256(3 * GiB), 'r3: the unplanned disk is untouched');
});

test('a machine reset mid-restore resumes, fetches only the missing blocks and boots its clone', { timeout: 30 * 60_000 }, async (t) => {
  const vm = 'rs1';
  await lab.run(['vm', vm, '--disk', '1G']);
  const { mac } = await lab.vmIdentity(vm);
  await lab.waitForWaiting([mac], BOOT_TIMEOUT_MS);
  // A slow stream so the reset lands mid-restore: the golden image's ~17 MB take ~15 s at 10 Mbit/s.
  const id = await createDeploy([mac], 'reset-{n}', '10mbit');
  // A quarter written and reported: the server's journal lists those blocks for the resume.
  await waitFor('the machine to be mid-restore', 5 * 60_000, 250, async () => {
    const m = (await sessionView(id)).session.deploy?.members[0];
    return m && m.state === 'receiving' && m.bytesDone >= m.bytesTotal * 0.25 && m.bytesDone < m.bytesTotal * 0.7 ? true : undefined;
  });
  await lab.run(['vm', vm, '--reset']);
  const view = await waitForDeployEnd(id);
  const member = view.session.deploy?.members[0] as Member;
  assert.equal(member.state, 'done', `member done (failure: ${JSON.stringify(member.failure)})`);
  assert.ok(member.tries.length >= 2, `two tries (the reset one and the resumed one): ${JSON.stringify(member.tries)}`);
  const last = member.tries[member.tries.length - 1];
  assert.ok(last);
  t.diagnostic(`tries: ${JSON.stringify(member.tries)}`);
  const blocks = await goldenBlockCount();
  assert.ok(last.resumedBlocks > 0, 'the resumed try kept blocks already on the disk');
  assert.equal(last.resumedBlocks + last.fetchedBlocks, blocks, 'kept + fetched = every block of the image');
  assert.ok(last.fetchedBlocks < blocks, `it fetched only the missing blocks (${last.fetchedBlocks} of ${blocks})`);
  const marker = await waitForMarker(vm);
  assert.equal(marker.hostname, 'reset-1');
  assert.equal(marker.mac, mac);
});

test('a plan whose disk serial does not match is refused by the agent; the disk is untouched and the reason is in the API', { timeout: 30 * 60_000 }, async () => {
  const vm = 'mm1';
  // First boot: the server learns the machine with disk serial PLANNED01 ...
  await lab.run(['vm', vm, '--disk', '1G:PLANNED01']);
  const { mac } = await lab.vmIdentity(vm);
  await lab.waitForWaiting([mac], BOOT_TIMEOUT_MS);
  await lab.rackcast(['machine', 'job', mac, 'poweroff']);
  await waitFor(`${vm} to power off`, 3 * 60_000, 1000, async () => ((await lab.vmRunning(vm)) ? undefined : true));
  // ... the deploy is planned from that profile while it is off ...
  const id = await createDeploy([mac], 'mm-{n}');
  // ... and it comes back with another disk of the same size.
  await lab.run(['vm', vm, '--disk', '1G:SWAPPED02']);
  const view = await waitForDeployEnd(id);
  const member = view.session.deploy?.members[0] as Member;
  assert.equal(member.state, 'failed');
  assert.match(member.failure?.code ?? '', /^RC_ERR_DISK_(NOT_FOUND|MISMATCH)$/);
  assert.match(member.failure?.message ?? '', /PLANNED01/, 'the reason names the planned disk');
  assert.equal(await sha256File(join(lab.stateDir, 'vms', vm, 'disk0.raw')), await zerosSha256(1 * GiB), 'the disk is untouched');
  await lab.run(['stop', vm]);
});

// ---------------------------------------------------------------------------------------------

interface LabVm { name: string; mac: string }

/** Starts the VMs, deploys golden to them, waits for every marker; seconds from first power-on to last marker. */
async function deployAndBoot(t: { diagnostic(s: string): void }, specs: Array<{ name: string; args: string[] }>, pattern: string): Promise<{ seconds: number; markers: CloneMarker[]; vms: LabVm[] }> {
  const started = Date.now();
  const vms: LabVm[] = [];
  for (const spec of specs) {
    await lab.run(['vm', spec.name, ...spec.args]);
    vms.push({ name: spec.name, mac: (await lab.vmIdentity(spec.name)).mac });
  }
  // The technician picks the machines as they appear and deploys.
  await lab.waitForWaiting(vms.map((v) => v.mac), BOOT_TIMEOUT_MS);
  const id = await createDeploy(vms.map((v) => v.mac), pattern);
  const view = await waitForDeployEnd(id);
  for (const m of view.session.deploy?.members ?? []) {
    assert.equal(m.state, 'done', `${m.mac}: ${JSON.stringify(m.failure)}`);
  }
  const markers: CloneMarker[] = [];
  for (const vm of vms) {
    const marker = await waitForMarker(vm.name).catch(async (err: Error) => {
      t.diagnostic(`${vm.name} serial tail:\n${(await lab.serialLog(vm.name)).slice(-3000)}`);
      throw err;
    });
    markers.push(marker);
    // The preboot image's agent read the stream with the batched-receive addon, not dgram.
    assert.match(await lab.serialLog(vm.name), /deploy: received \d+ blocks .*; socket batched, receive buffer 32 MiB/);
  }
  return { seconds: (Date.now() - started) / 1000, markers, vms };
}


async function createDeploy(macs: string[], pattern: string, rate?: string): Promise<number> {
  const args = ['deploy', 'golden', '--machines', macs.join(','), '--hostname-pattern', pattern, ...(rate ? ['--rate', rate] : [])];
  const created = await lab.rackcast<SessionView>(args);
  return created.session.id;
}

async function sessionView(id: number): Promise<SessionView> {
  const auth = (await localAdminHeaders(join(lab.stateDir, 'store'))).authorization ?? '';
  return lab.execJson<SessionView>(['curl', '-sf', '-H', `authorization: ${auth}`, `http://10.77.0.1:8080/api/sessions/${id}`]);
}

async function waitForDeployEnd(id: number): Promise<SessionView> {
  return waitFor(`deploy session ${id} to end`, BOOT_TIMEOUT_MS, 3000, async () => {
    const view = await sessionView(id);
    const d = view.session.deploy;
    return d && d.members.every((m) => m.state === 'done' || m.state === 'failed') ? view : undefined;
  });
}

/** The clone prints its marker and powers off: QEMU exits. */
async function waitForMarker(vm: string): Promise<CloneMarker> {
  return waitFor(`${vm} to boot its clone and print the marker`, BOOT_TIMEOUT_MS, 2000, async () => {
    const marker = parseCloneMarker(await lab.serialLog(vm));
    return marker ?? undefined;
  });
}

async function goldenBlockCount(): Promise<number> {
  const versions = await lab.rackcast<Array<{ blockCount: number }>>(['image', 'versions', 'golden']);
  const v = versions[versions.length - 1];
  assert.ok(v);
  return v.blockCount;
}

async function rootfsBytesOfGolden(): Promise<number> {
  // The golden image booted as is reports its own root filesystem size; read it from the ext4
  // superblock instead of booting: block count x block size of the partition labelled root.
  const out = await lab.run(['exec', 'sh', '-c', `off=$(sfdisk -J ${join(lab.stateDir, 'golden.img')} | node -e 'const t=JSON.parse(require("fs").readFileSync(0)).partitiontable; const p=t.partitions[t.partitions.length-1]; console.log(p.start*512)'); dumpe2fs -h "${join(lab.stateDir, 'golden.img')}?offset=$off" 2>/dev/null | awk -F: '/^Block count/{c=$2} /^Block size/{s=$2} END{print c*s}'`]);
  const bytes = Number(out.trim());
  assert.ok(bytes > 0, `golden root filesystem size: ${out}`);
  return bytes;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function zerosSha256(bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const zero = Buffer.alloc(4 * MiB);
  for (let left = bytes; left > 0; left -= zero.length) hash.update(left >= zero.length ? zero : zero.subarray(0, left));
  return hash.digest('hex');
}
