// Lab test of the golden test image (scripts/golden-image): it is built with the command a
// technician runs, then booted straight from its disk under QEMU (software emulation, 1 vCPU)
// with SeaBIOS and with OVMF, and the marker line its init prints on the serial console is
// checked: host name, machine id, the MAC of the NIC the VM was given, the disk's size and the
// firmware. Then the image is copied onto a bigger disk (1 GiB; its backup GPT is then not at
// the end) and must still boot under both. Each VM boots a copy, so the image stays pristine.
// NICs hang on a QEMU hub with no other port: no packet leaves QEMU. Needs qemu-system-x86,
// ovmf and the packages of scripts/install-deps.sh, and apt access for the first kernel download.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { open, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { parseCloneMarker, type CloneMarker } from './helpers/clone-marker.js';
import { bootDisk, type DiskBootOptions, type DiskBootResult } from './helpers/disk-boot.js';
import { runScript, type ScriptRun } from './helpers/run-script.js';
import { tempDir } from './helpers/temp-dir.js';

const execFileAsync = promisify(execFile);
const BUILD_TIMEOUT_MS = 10 * 60_000;
const BOOT_TIMEOUT_MS = 5 * 60_000;
const MIB = 1024 * 1024;
const IMAGE_BYTES = 512 * MIB;
const BIG_DISK_BYTES = 1024 * MIB;
const HOSTNAME = 'golden';
const MACHINE_ID = '6f1d0e6a4c3b4e2d9a8b7c6d5e4f3a21';
const MARKS = { kernel: /Linux version/, marker: /^RACKCAST-CLONE / };

/** Runs scripts/build-golden-image; its process group is killed if it overruns. */
const runBuild = (args: readonly string[]): Promise<ScriptRun> => runScript('build-golden-image', args, BUILD_TIMEOUT_MS);

let work: Awaited<ReturnType<typeof tempDir>>;
let golden: string;
let copies = 0;

/** A sparse copy of the golden image for one VM, grown to `bytes` when that is bigger. */
async function diskCopy(bytes = IMAGE_BYTES): Promise<string> {
  copies += 1;
  const path = join(work.path, `disk-${copies}.img`);
  await execFileAsync('cp', ['--sparse=always', golden, path]);
  if (bytes > IMAGE_BYTES) await truncate(path, bytes);
  return path;
}

const tail = (r: DiskBootResult): string => r.log.split('\n').slice(-40).join('\n');

/** Boots `disk`, checks QEMU ended by the guest's power-off, and returns the marker. */
async function bootToMarker(t: TestContext, name: string, opts: Omit<DiskBootOptions, 'workDir' | 'timeoutMs' | 'logFile'>): Promise<{ marker: CloneMarker; result: DiskBootResult }> {
  const result = await bootDisk({ ...opts, workDir: work.path, timeoutMs: BOOT_TIMEOUT_MS, logFile: join(work.path, `${name}.log`) }, MARKS);
  assert.ok(!result.timedOut, `${name}: no power-off within ${BOOT_TIMEOUT_MS / 1000} s:\n${tail(result)}`);
  assert.equal(result.exitCode, 0, `${name}: QEMU exit code ${result.exitCode}:\n${tail(result)}`);
  const marker = parseCloneMarker(result.log);
  assert.ok(marker, `${name}: no RACKCAST-CLONE line:\n${tail(result)}`);
  t.diagnostic(`${name}: kernel at ${result.marks.get('kernel')?.toFixed(1)} s, marker at ${result.marks.get('marker')?.toFixed(1)} s, QEMU done at ${result.seconds.toFixed(1)} s`);
  return { marker, result };
}

/** True when the given sector of a disk file starts with the GPT header signature. */
async function gptHeaderAt(path: string, sector: number): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    await fh.read(buf, 0, 8, sector * 512);
    return buf.toString('latin1') === 'EFI PART';
  } finally {
    await fh.close();
  }
}

let rootfsBytes = 0;

before(async () => {
  work = await tempDir('golden-lab');
  golden = join(work.path, 'golden.img');
  const build = await runBuild([golden]);
  process.stdout.write(`build-golden-image took ${build.seconds.toFixed(1)} s (including the TypeScript build check):\n${build.stdout}`);
});

after(async () => { await work?.remove(); });

describe('golden image boots from its disk', () => {
  test('SeaBIOS, virtio-net: marker with the image identity, the NIC MAC and the disk size', async (t) => {
    const { marker } = await bootToMarker(t, 'bios', { disk: await diskCopy(), firmware: 'bios', nic: { model: 'virtio-net-pci', mac: '52:54:00:aa:bb:cc' } });
    assert.deepEqual({ ...marker, rootfsBytes: 0 }, { hostname: HOSTNAME, machineId: MACHINE_ID, mac: '52:54:00:aa:bb:cc', diskBytes: IMAGE_BYTES, rootfsBytes: 0, firmware: 'bios', address: 'none' });
    // df's size of a 446 MiB ext4 (less its metadata).
    assert.ok(marker.rootfsBytes > 400 * MIB && marker.rootfsBytes < 446 * MIB, `rootfs-bytes ${marker.rootfsBytes}`);
    rootfsBytes = marker.rootfsBytes;
  });

  test('OVMF, e1000: firmware=uefi and the e1000 MAC', async (t) => {
    const { marker } = await bootToMarker(t, 'uefi', { disk: await diskCopy(), firmware: 'uefi', nic: { model: 'e1000', mac: '52:54:00:aa:bb:dd' } });
    assert.deepEqual(marker, { hostname: HOSTNAME, machineId: MACHINE_ID, mac: '52:54:00:aa:bb:dd', diskBytes: IMAGE_BYTES, rootfsBytes: marker.rootfsBytes, firmware: 'uefi', address: 'none' });
    if (rootfsBytes) assert.equal(marker.rootfsBytes, rootfsBytes);
  });
});

describe('golden image copied onto a 1 GiB disk (backup GPT not at the end)', () => {
  test('SeaBIOS, no NIC: boots, reports the 1 GiB disk and mac=none; Linux warns about the backup GPT and uses the primary', async (t) => {
    const disk = await diskCopy(BIG_DISK_BYTES);
    const { marker, result } = await bootToMarker(t, 'bios-1g', { disk, firmware: 'bios' });
    assert.equal(marker.diskBytes, BIG_DISK_BYTES);
    assert.equal(marker.mac, null);
    assert.equal(marker.firmware, 'bios');
    if (rootfsBytes) assert.equal(marker.rootfsBytes, rootfsBytes, 'nothing grew the root file system');
    assert.match(result.log, /GPT:Alternate GPT header not at the end of the disk/);
    t.diagnostic(`kernel: ${result.log.split('\n').filter((l) => l.includes('GPT')).map((l) => l.replace(/^\[[^\]]*\]\s*/, '').trim()).join(' | ')}`);
  });

  test('OVMF, virtio-net: boots, reports the 1 GiB disk; the firmware leaves the GPT where it was', async (t) => {
    const disk = await diskCopy(BIG_DISK_BYTES);
    const { marker } = await bootToMarker(t, 'uefi-1g', { disk, firmware: 'uefi', nic: { model: 'virtio-net-pci', mac: '52:54:00:aa:bb:ee' } });
    assert.equal(marker.diskBytes, BIG_DISK_BYTES);
    assert.equal(marker.mac, '52:54:00:aa:bb:ee');
    assert.equal(marker.firmware, 'uefi');
    const oldBackup = await gptHeaderAt(disk, IMAGE_BYTES / 512 - 1);
    const newBackup = await gptHeaderAt(disk, BIG_DISK_BYTES / 512 - 1);
    t.diagnostic(`after the OVMF boot: backup GPT header at the old end ${oldBackup}, at the disk's end ${newBackup}`);
    assert.ok(oldBackup, 'the backup GPT header at the image\'s old end survived');
    assert.ok(await gptHeaderAt(disk, 1), 'the primary GPT header is intact');
  });
});
