import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, readlink } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { detectProfile } from '@rackcast/agent';
import { parseMachineProfile } from '@rackcast/wire';

/*
 * detectProfile on this host's real sysfs, with systeminformation (lsblk, lscpu), checked
 * against what other tools report: lsblk for disks, iproute2 for NICs, the kernel for memory
 * and CPUs. The agent runs the same code in the preboot image.
 */

const run = promisify(execFile);

test('the profile of this host matches lsblk, ip and the kernel', async (t) => {
  const started = process.hrtime.bigint();
  const profile = await detectProfile();
  t.diagnostic(`detectProfile took ${Number(process.hrtime.bigint() - started) / 1e6} ms; problems: ${JSON.stringify(profile.problems)}`);
  assert.deepEqual(parseMachineProfile(JSON.parse(JSON.stringify(profile))), profile, 'the profile passes the shared schema');

  assert.equal(profile.memory.totalBytes, totalmem());
  assert.equal(profile.cpu.threads, cpus().length);
  const efi = await access('/sys/firmware/efi').then(() => true, () => false);
  assert.equal(profile.firmware.mode, efi ? 'uefi' : 'bios');

  // Every whole disk lsblk lists that is not virtual (loop, zram, dm, md) or optical, with the same size.
  const lsblk = JSON.parse((await run('lsblk', ['-J', '-b', '-d', '-o', 'NAME,SIZE,TYPE'])).stdout) as { blockdevices: { name: string; size: number; type: string }[] };
  const real = [];
  for (const d of lsblk.blockdevices) {
    const target = await readlink(`/sys/block/${d.name}`);
    if (d.type === 'disk' && !target.includes('/virtual/') && d.size > 0) real.push([d.name, d.size]);
  }
  assert.deepEqual(profile.disks.map((d) => [d.name, d.sizeBytes]).sort(), real.sort());

  // Every NIC ip lists that sits on a bus (has a device link), with its MAC.
  const links = JSON.parse((await run('ip', ['-j', 'link', 'show'])).stdout) as { ifname: string; address?: string }[];
  const physical = [];
  for (const l of links) {
    if (await access(`/sys/class/net/${l.ifname}/device`).then(() => true, () => false)) physical.push([l.ifname, l.address ?? '']);
  }
  assert.deepEqual(profile.nics.map((n) => [n.name, n.mac]).sort(), physical.sort());
});
