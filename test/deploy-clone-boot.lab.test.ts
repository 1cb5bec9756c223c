// Lab test of the agent's fitting and personalisation on a clone that then boots: the golden
// image (scripts/golden-image) is copied onto a bigger (1 GiB) and a smaller (480 MiB) disk
// file as a restore would leave it, fitted (fitTargetDisk) and personalised (personaliseClone)
// with the real tools, then booted from that disk under QEMU with SeaBIOS (software emulation)
// and a NIC of the planned MAC on a hub with no other port (no packet leaves QEMU). The
// clone's init prints what it is; the marker must show the plan's hostname, a new machine-id,
// the MAC, the disk's size and a root file system fitted to it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fitTargetDisk, personaliseClone } from '@rackcast/agent';
import { parseCloneMarker, type CloneMarker } from './helpers/clone-marker.js';
import { bootDisk } from './helpers/disk-boot.js';
import { buildGoldenImage, diskCopy, goldenPlan, type GoldenImage } from './helpers/golden-plan.js';
import { tempDir } from './helpers/temp-dir.js';

const BOOT_TIMEOUT_MS = 5 * 60_000;
const MIB = 2 ** 20;
const GIB = 2 ** 30;
const MARKS = { kernel: /Linux version/, marker: /^RACKCAST-CLONE / };

let work: Awaited<ReturnType<typeof tempDir>>;
let golden: GoldenImage;

before(async () => {
  work = await tempDir('clone-boot');
  golden = await buildGoldenImage(work.path);
});

after(async () => { await work?.remove(); });

/** Restores (copies), fits and personalises a clone on a disk of `bytes`, boots it, returns its marker. */
async function deployAndBoot(t: TestContext, name: string, bytes: number, hostname: string, mac: string): Promise<{ marker: CloneMarker; machineId: string | null; fsBytes: number }> {
  const disk = await diskCopy(golden, join(work.path, `${name}.img`), bytes);
  const plan = goldenPlan(golden, { targetBytes: bytes, hostname, nics: [{ mac, mode: 'dhcp', address: '', gateway: '', dns: [] }] });
  const fit = await fitTargetDisk(disk, plan);
  const personalised = await personaliseClone(disk, plan, { sysRoot: join(work.path, 'no-sys') });
  t.diagnostic(`${name}: fitted ${JSON.stringify(fit.partition)}, file system ${fit.filesystem?.oldBytes} -> ${fit.filesystem?.newBytes}`);
  const result = await bootDisk({ disk, firmware: 'bios', nic: { model: 'virtio-net-pci', mac }, workDir: work.path, timeoutMs: BOOT_TIMEOUT_MS, logFile: join(work.path, `${name}.log`) }, MARKS);
  const tail = result.log.split('\n').slice(-40).join('\n');
  assert.ok(!result.timedOut, `${name}: no power-off within ${BOOT_TIMEOUT_MS / 1000} s:\n${tail}`);
  const marker = parseCloneMarker(result.log);
  assert.ok(marker, `${name}: no RACKCAST-CLONE line:\n${tail}`);
  // An unfitted copy makes Linux warn "GPT:Alternate GPT header not at the end of the disk" (docs/golden-image.md).
  assert.doesNotMatch(result.log, /GPT:|GPT header|PMBR size mismatch/, `${name}: the kernel complains about the GPT`);
  t.diagnostic(`${name}: kernel at ${result.marks.get('kernel')?.toFixed(1)} s, marker at ${result.marks.get('marker')?.toFixed(1)} s: ${result.log.split('\n').find((l) => l.startsWith('RACKCAST-CLONE'))?.trim()}`);
  return { marker, machineId: personalised.root?.newMachineId ?? null, fsBytes: fit.filesystem?.newBytes ?? 0 };
}

describe('a fitted and personalised clone boots as itself', () => {
  test('1 GiB disk, SeaBIOS: hostname rack1-7, new machine-id, the NIC MAC, the whole disk, the root grown', async (t) => {
    const mac = '52:54:00:a7:01:07';
    const { marker, machineId } = await deployAndBoot(t, 'rack1-7', GIB, 'rack1-7', mac);
    assert.equal(marker.hostname, 'rack1-7');
    assert.match(marker.machineId, /^[0-9a-f]{32}$/);
    assert.notEqual(marker.machineId, golden.machineId);
    assert.equal(marker.machineId, machineId);
    assert.equal(marker.mac, mac);
    assert.equal(marker.diskBytes, GIB);
    assert.equal(marker.firmware, 'bios');
    assert.equal(marker.address, 'dhcp', 'the networkd file written for this MAC asks for DHCP');
    // df's size of the grown ~959 MiB ext4, against ~430 MiB for the image's own 446 MiB root.
    assert.ok(marker.rootfsBytes > 900 * MIB, `rootfs-bytes ${marker.rootfsBytes}`);
  });

  test('480 MiB disk (smaller than the image), SeaBIOS: the rewritten GPT and the shrunk root boot', async (t) => {
    const mac = '52:54:00:a7:01:08';
    const { marker, fsBytes } = await deployAndBoot(t, 'rack1-8', 480 * MIB, 'rack1-8', mac);
    assert.deepEqual([marker.hostname, marker.mac, marker.diskBytes], ['rack1-8', mac, 480 * MIB]);
    assert.ok(marker.rootfsBytes < fsBytes && marker.rootfsBytes > 380 * MIB, `rootfs-bytes ${marker.rootfsBytes}`);
  });
});
