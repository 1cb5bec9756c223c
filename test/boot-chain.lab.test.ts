// The boot chain end to end with real firmware: a SeaBIOS VM and an OVMF VM on the lab network
// PXE-boot from Rackcast's own DHCP and TFTP, chain to iPXE, fetch the preboot kernel and
// initramfs over HTTP, and the agent registers their hardware. Nobody types anything on a
// console: the test only starts the VMs and reads what the server and the serial logs say.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { localAdminHeaders } from './helpers/api-auth.js';
import { LabDriver, waitFor } from './helpers/lab-driver.js';

interface MachineListing {
  machines: Array<{
    mac: string;
    state: string;
    online: boolean;
    profile: null | {
      system: { uuid: string };
      firmware: { mode: string };
      memory: { totalBytes: number };
      disks: Array<{ name: string; sizeBytes: number; serial: string }>;
      nics: Array<{ mac: string; driver: string }>;
    };
  }>;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** Three times the boot times seen here (BIOS ~1 min, UEFI ~1.5 min to the agent), both at once. */
const REGISTER_TIMEOUT_MS = 12 * 60_000;

const lab = new LabDriver('rcbc');

before(async () => {
  await lab.down();
  await lab.up();
});

after(async () => {
  await lab.down();
});

test('a SeaBIOS and an OVMF machine PXE-boot from Rackcast, register their hardware and obey a job', { timeout: 25 * 60_000 }, async (t) => {
  const started = Date.now();
  await lab.run(['vm', 'bios1', '--disk', '3G', '--mem', '1024']);
  await lab.run(['vm', 'uefi1', '--uefi', '--disk', '2G', '--disk', '1G', '--mem', '1536']);
  const bios = await lab.vmIdentity('bios1');
  const uefi = await lab.vmIdentity('uefi1');

  const seen = new Map<string, number>();
  const listing = await waitFor('both machines to register and wait for a job', REGISTER_TIMEOUT_MS, 5000, async () => {
    const list = await lab.rackcast<MachineListing>(['machine', 'list']);
    for (const m of list.machines) if (m.state === 'waiting' && !seen.has(m.mac)) seen.set(m.mac, Date.now() - started);
    const ready = [bios.mac, uefi.mac].every((mac) => list.machines.some((m) => m.mac === mac && m.state === 'waiting' && m.profile !== null));
    return ready ? list : undefined;
  }).catch(async (err: Error) => {
    t.diagnostic(`server log tail:\n${(await lab.serverLog()).slice(-3000)}`);
    t.diagnostic(`bios1 serial tail:\n${(await lab.serialLog('bios1')).slice(-3000)}`);
    t.diagnostic(`uefi1 serial tail:\n${(await lab.serialLog('uefi1')).slice(-3000)}`);
    throw err;
  });
  t.diagnostic(`registered after: bios1 ${((seen.get(bios.mac) ?? 0) / 1000).toFixed(0)} s, uefi1 ${((seen.get(uefi.mac) ?? 0) / 1000).toFixed(0)} s (both VMs at once, software emulation)`);

  const machine = (mac: string) => {
    const m = listing.machines.find((x) => x.mac === mac);
    assert.ok(m?.profile, `machine ${mac} has a profile`);
    return m.profile;
  };
  const b = machine(bios.mac);
  assert.equal(b.system.uuid, bios.uuid, 'SeaBIOS VM: the SMBIOS UUID QEMU was given');
  assert.equal(b.firmware.mode, 'bios');
  assert.ok(b.nics.some((n) => n.mac === bios.mac && n.driver === 'virtio_net'), 'its NIC with its real MAC and driver');
  assertMemory(b.memory.totalBytes, 1024);
  assert.deepEqual(b.disks.map((d) => d.sizeBytes), [3 * GiB], 'its one 3 GiB disk');

  const u = machine(uefi.mac);
  assert.equal(u.system.uuid, uefi.uuid, 'OVMF VM: the SMBIOS UUID QEMU was given');
  assert.equal(u.firmware.mode, 'uefi');
  assert.ok(u.nics.some((n) => n.mac === uefi.mac), 'its NIC with its real MAC');
  assertMemory(u.memory.totalBytes, 1536);
  assert.deepEqual(u.disks.map((d) => d.sizeBytes).sort((x, y) => y - x), [2 * GiB, 1 * GiB], 'its two disks');
  assert.ok(u.disks.every((d) => d.serial.startsWith('RCUEFI1')), 'disk serials as QEMU set them');

  // The same through the HTTP API.
  const auth = (await localAdminHeaders(join(lab.stateDir, 'store'))).authorization ?? '';
  const api = await lab.execJson<MachineListing>(['curl', '-sf', '-H', `authorization: ${auth}`, 'http://10.77.0.1:8080/api/machines']);
  assert.deepEqual(new Set(api.machines.map((m) => m.mac)), new Set([bios.mac, uefi.mac]));

  // No manual step: each console shows the whole chain, driven by the server alone.
  const biosLog = await lab.serialLog('bios1');
  const uefiLog = await lab.serialLog('uefi1');
  for (const [name, log] of [['bios1', biosLog], ['uefi1', uefiLog]] as const) {
    assert.match(log, /rackcast-preboot: network up/, `${name}: the preboot network came up`);
    assert.match(log, /rackcast-agent: registered/, `${name}: the agent registered`);
    assert.doesNotMatch(log, /login:|Press any key|Kernel panic/i, `${name}: no prompt and no panic`);
  }
  assert.match(uefiLog, /iPXE/, 'OVMF: iPXE ran (its output reaches the serial port under UEFI)');

  // A job from the technician reaches the agent: both machines power off.
  await lab.rackcast(['machine', 'job', bios.mac, 'poweroff']);
  await lab.rackcast(['machine', 'job', uefi.mac, 'poweroff']);
  await waitFor('both VMs to power off', 3 * 60_000, 2000, async () => ((await lab.vmRunning('bios1')) || (await lab.vmRunning('uefi1')) ? undefined : true));
  const after = await lab.rackcast<MachineListing>(['machine', 'list']);
  for (const mac of [bios.mac, uefi.mac]) assert.equal(after.machines.find((m) => m.mac === mac)?.state, 'powered-off');
});

/** The kernel keeps a little of the RAM QEMU gives for itself; MemTotal is a bit under it. */
function assertMemory(totalBytes: number, vmMiB: number): void {
  assert.ok(totalBytes > vmMiB * MiB * 0.8 && totalBytes <= vmMiB * MiB, `memory ${Math.round(totalBytes / MiB)} MiB of a ${vmMiB} MiB VM`);
}
