// Capture, incremental capture and one-touch recovery in the QEMU lab, with real firmware and the
// real preboot image: a machine deployed from the golden image (host name web01, a static
// address) is captured by PXE job; files on its disk are changed, added and deleted; a second
// capture moves only the changed blocks; the second version restored onto a NEW machine (other
// MAC, bigger disk) with one command boots as web01 with web01's address on its own NIC and
// holds exactly the second state; the first version restored by time holds the first state.
//
// The files are changed on the powered-off machine's disk file with debugfs -w rather than by
// the golden system itself: the golden init only reports and powers off, and an offline edit
// makes the changed blocks exactly countable (the disk before and after, block by block).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parseCloneMarker, type CloneMarker } from './helpers/clone-marker.js';
import { LabDriver, REPO_ROOT, waitFor } from './helpers/lab-driver.js';

const run = promisify(execFile);
const ENV = { ...process.env, PATH: `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };
const BLOCK = 256 * 1024;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BOOT_TIMEOUT_MS = 12 * 60_000;
/** The golden image's root partition starts at sector 133120 (scripts/golden-image); a deploy grows it, never moves it. */
const ROOT_OFFSET = 133_120 * 512;
const SERVER = 'http://10.77.0.1:8080';
const STATIC = '10.77.0.50/24';

interface CaptureView {
  id: number;
  state: string;
  version: number | null;
  offer: { kind: string; blocks: number; missing: number; baseVersion: number | null } | null;
  uploads: { blocks: number; bytes: number };
  wire: { offerBytes: number; fingerprintBytes: number };
}
interface VersionRow { version: number; createdAt: string; blockCount: number }

const lab = new LabDriver('rccr');
const doomed = randomBytes(1 * MiB);
const original = randomBytes(300 * 1024);
const added = randomBytes(3 * MiB);
const changed = randomBytes(300 * 1024);

before(async () => {
  await lab.upWithGolden();
});

after(async () => {
  await lab.down();
});

test('capture by PXE job, incremental capture of changed blocks, one-touch recovery onto a new machine, restore by time', { timeout: 60 * 60_000 }, async (t) => {
  const started = Date.now();
  const stamp = (what: string): void => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(0)} s: ${what}`);

  // The source machine: golden deployed as web01 with a static address, boots and powers off.
  await lab.run(['vm', 'src', '--disk', '1G']);
  const src = (await lab.vmIdentity('src')).mac;
  await lab.waitForWaiting([src], BOOT_TIMEOUT_MS);
  await lab.rackcast(['deploy', 'golden', '--machines', src, '--hostname-pattern', 'web01', '--static', STATIC, '--gateway', '10.77.0.1']);
  const first = await waitForPowerOff('src');
  assert.deepEqual([first.hostname, first.mac, first.address], ['web01', src, STATIC], 'the source machine runs as web01 with its address');
  stamp('source deployed and booted');
  // Two files of the first state: one to delete later, one to change.
  const disk = join(lab.stateDir, 'vms', 'src', 'disk0.raw');
  await editRoot(disk, [`write ${await scratch('doomed.bin', doomed)} /doomed.bin`, `write ${await scratch('original.bin', original)} /changed.bin`]);

  // Capture 1, by job: the machine is off; it gets the job when it network-boots.
  const c1 = await captureByJob('src', src, 'web01');
  assert.equal(c1.offer?.kind, 'full');
  assert.equal(c1.version, 1);
  await waitForPowerOff('src');
  stamp(`capture 1: ${c1.uploads.blocks} blocks uploaded`);

  // Change, add and delete files on the disk. The changed blocks are counted against version 1
  // as captured (its export), since the clone's own boot after the capture also wrote a little.
  const before1 = await blockHashes(await exportFile('web01@1'));
  await editRoot(disk, [
    'rm /doomed.bin',
    'rm /changed.bin',
    `write ${await scratch('changed.bin', changed)} /changed.bin`,
    `write ${await scratch('added.bin', added)} /added.bin`,
  ]);
  const after1 = await blockHashes(disk);
  const changedBlocks = after1.filter((h, i) => h !== before1[i]).length;
  assert.ok(changedBlocks > 0 && changedBlocks < 200, `changed blocks: ${changedBlocks}`);
  // The second state, kept aside for a direct full capture of the very same bytes.
  const state2 = join(lab.stateDir, 'state2.raw');
  await run('cp', ['--sparse=always', disk, state2], { env: ENV });

  // Capture 2: an incremental capture moves only changed blocks plus the manifest.
  const c2 = await captureByJob('src', src, 'web01');
  assert.equal(c2.offer?.kind, 'delta');
  assert.equal(c2.version, 2);
  const versions = await lab.rackcast<VersionRow[]>(['image', 'versions', 'web01']);
  const v2 = versions.find((v) => v.version === 2);
  assert.ok(v2, `versions: ${JSON.stringify(versions)}`);
  const manifestAllowance = v2.blockCount * 64 + 64 * 1024;
  const wire = c2.uploads.bytes + c2.wire.offerBytes + c2.wire.fingerprintBytes;
  t.diagnostic(`capture 2: ${c2.uploads.blocks} blocks (${c2.uploads.bytes} B) uploaded for ${changedBlocks} changed blocks; offer ${c2.wire.offerBytes} B, fingerprints ${c2.wire.fingerprintBytes} B; first capture ${c1.uploads.bytes} B`);
  assert.ok(c2.uploads.blocks <= changedBlocks, `uploaded ${c2.uploads.blocks} blocks > ${changedBlocks} changed`);
  assert.ok(wire <= changedBlocks * BLOCK + manifestAllowance, `wire ${wire} B > changed blocks + manifest`);
  await waitForPowerOff('src');
  stamp('capture 2');

  // A direct full capture of the same state into another image: the synthetic full version 2
  // must be the same disk, byte for byte.
  await directCapture(state2, 'web01-direct');
  const [synthetic, direct] = await Promise.all([exportSha('web01@2'), exportSha('web01-direct@1')]);
  assert.equal(synthetic, direct, 'web01@2 (composed from a delta) exports the same bytes as a direct full capture of that state');
  stamp('direct capture compared');

  // A time before the first version is refused with its reason.
  await assert.rejects(lab.rackcast(['restore', src, '--image', 'web01', '--at', '2001-01-01T00:00:00Z', '--dry-run']), /RC_ERR_RESTORE_BEFORE_FIRST/);

  // One-touch recovery: a replacement with another MAC and a 2 GiB disk; one command, no input.
  await lab.run(['vm', 'dst', '--disk', '2G']);
  const dst = (await lab.vmIdentity('dst')).mac;
  assert.notEqual(dst, src);
  const plan = await lab.rackcast<unknown>(['restore', src, '--image', 'web01', '--onto', dst, '--no-watch']);
  t.diagnostic(`restore answer: ${JSON.stringify(plan).slice(0, 600)}`);
  const recovered = await waitForPowerOff('dst');
  assert.deepEqual([recovered.hostname, recovered.mac, recovered.address], ['web01', dst, STATIC], 'the replacement boots as web01 with its address on its own NIC');
  assert.equal(recovered.diskBytes, 2 * GiB);
  assert.equal(recovered.machineId, first.machineId, 'the same host came back: its machine-id kept');
  const dstDisk = join(lab.stateDir, 'vms', 'dst', 'disk0.raw');
  assert.equal(await rootFileSha(dstDisk, '/added.bin'), sha(added), 'added file present');
  assert.equal(await rootFileSha(dstDisk, '/changed.bin'), sha(changed), 'changed file has its new content');
  assert.equal(await rootFileSha(dstDisk, '/doomed.bin'), null, 'deleted file gone');
  stamp('one-touch recovery onto dst');

  // The first version, by time, onto another new machine: the first state.
  const v1 = versions.find((v) => v.version === 1);
  assert.ok(v1);
  await lab.run(['vm', 'old', '--disk', '1G']);
  const old = (await lab.vmIdentity('old')).mac;
  await lab.rackcast(['restore', src, '--image', 'web01', '--onto', old, '--at', v1.createdAt, '--no-watch']);
  const oldMarker = await waitForPowerOff('old');
  assert.deepEqual([oldMarker.hostname, oldMarker.mac], ['web01', old]);
  const oldDisk = join(lab.stateDir, 'vms', 'old', 'disk0.raw');
  assert.equal(await rootFileSha(oldDisk, '/added.bin'), null, 'version 1 has no added file');
  assert.equal(await rootFileSha(oldDisk, '/doomed.bin'), sha(doomed), 'version 1 still has the file deleted later');
  assert.equal(await rootFileSha(oldDisk, '/changed.bin'), sha(original), 'version 1 has the old content');
  stamp('version 1 restored by time');
});

// ---------------------------------------------------------------------------------------------


/** The machine is off: its clone printed the marker and powered off (QEMU exits). */
async function waitForPowerOff(vm: string): Promise<CloneMarker> {
  await waitFor(`${vm} to power off`, BOOT_TIMEOUT_MS, 2000, async () => ((await lab.vmRunning(vm)) ? undefined : true));
  const log = await lab.serialLog(vm);
  const lines = log.split('\n').filter((l) => l.startsWith('RACKCAST-CLONE '));
  const marker = parseCloneMarker(lines[lines.length - 1] ?? '');
  assert.ok(marker, `${vm}: no marker; serial tail:\n${log.slice(-3000)}`);
  return marker;
}

/** Queues the capture job while the machine is off, powers it on (disks kept), waits for the version. */
async function captureByJob(vm: string, mac: string, image: string): Promise<CaptureView> {
  const queued = await lab.rackcast<{ capture: CaptureView }>(['capture', mac, '--image', image, '--no-wait']);
  await lab.run(['vm', vm, '--reset']);
  return waitFor(`capture ${queued.capture.id} to commit`, BOOT_TIMEOUT_MS, 3000, async () => {
    const capture = await lab.rackcast<CaptureView>(['capture', 'show', String(queued.capture.id)]);
    assert.notEqual(capture.state, 'failed', `capture failed: ${JSON.stringify(capture)}`);
    return capture.version !== null ? capture : undefined;
  });
}

/** The by-hand capture path (`capture start` + `rackcast-agent capture`) of a disk file, from the lab network. */
async function directCapture(file: string, image: string): Promise<void> {
  const { token } = await lab.rackcast<{ token: string }>(['capture', 'start', '--image', image]);
  await lab.run(['exec', process.execPath, join(REPO_ROOT, 'preboot-image/agent/bin/rackcast-agent.js'), 'capture',
    '--server', SERVER, '--token', token, '--source', file, '--no-profile', '--quiet'], 5 * 60_000);
}

async function exportFile(ref: string): Promise<string> {
  const out = join(lab.stateDir, `${ref.replace(/[^a-z0-9]/gi, '-')}.img`);
  await rm(out, { force: true });
  await lab.rackcast(['image', 'export', ref, out]);
  return out;
}

async function exportSha(ref: string): Promise<string> {
  return (await run('sha256sum', [await exportFile(ref)], { env: ENV })).stdout.split(' ')[0] ?? '';
}

/** Writes `data` to a scratch file in the lab folder, for debugfs `write`. */
async function scratch(name: string, data: Uint8Array): Promise<string> {
  const path = join(lab.stateDir, name);
  await writeFile(path, data);
  return path;
}

/**
 * debugfs -w commands on the root file system of a powered-off machine's disk. The golden system
 * powers off without unmounting, so its journal is first replayed (e2fsck through a loop device
 * at the partition, as the agent does), or the replay at the next mount would undo the edits.
 */
async function editRoot(disk: string, commands: readonly string[]): Promise<void> {
  const loop = (await run('losetup', ['--find', '--show', '--offset', String(ROOT_OFFSET), disk], { env: ENV })).stdout.trim();
  try {
    await run('e2fsck', ['-f', '-y', loop], { env: ENV }).catch((err: { code?: number; stdout?: string }) => {
      if (err.code !== 1 && err.code !== 2) throw new Error(`e2fsck -fy of the source root: exit ${err.code}: ${err.stdout ?? ''}`);
    });
  } finally {
    await run('losetup', ['--detach', loop], { env: ENV });
  }
  const file = join(lab.stateDir, 'edit.debugfs');
  await writeFile(file, `${commands.join('\n')}\n`);
  const { stderr } = await run('debugfs', ['-w', '-f', file, `${disk}?offset=${ROOT_OFFSET}`], { env: ENV });
  assert.doesNotMatch(stderr.replace(/^debugfs [\d.]+ .*$/m, ''), /\S/, `debugfs reported: ${stderr}`);
}

/** sha256 of a file in the root file system of a disk file, or null when it does not exist. */
async function rootFileSha(disk: string, path: string): Promise<string | null> {
  // The machine is off (its QEMU exited), so debugfs reads a settled disk, read-only.
  const out = join(lab.stateDir, 'dumped.bin');
  await rm(out, { force: true });
  await run('debugfs', ['-R', `dump ${path} ${out}`, `${disk}?offset=${ROOT_OFFSET}`], { env: ENV });
  const sum = await run('sha256sum', [out], { env: ENV }).catch(() => null);
  return sum ? (sum.stdout.split(' ')[0] ?? null) : null;
}

async function blockHashes(path: string): Promise<string[]> {
  const file = await open(path, 'r');
  try {
    const hashes: string[] = [];
    const buf = Buffer.alloc(BLOCK);
    for (let pos = 0; ; pos += BLOCK) {
      const { bytesRead } = await file.read(buf, 0, BLOCK, pos);
      if (bytesRead === 0) break;
      hashes.push(sha(buf.subarray(0, bytesRead)));
    }
    return hashes;
  } finally {
    await file.close();
  }
}

function sha(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
