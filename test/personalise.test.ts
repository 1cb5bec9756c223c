// The agent's personalisation (personaliseClone) on real disk files with the real tools: the
// golden image (scripts/golden-image: GPT, ESP + ext4 root with ifupdown, netplan and networkd
// files, a machine-id and dummy SSH host keys) fitted onto a bigger file, personalised, and read
// back with debugfs and e2fsck. efibootmgr is recorded, never run: it would write this host's
// firmware variables.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NicConfig } from '@rackcast/wire';
import { fitTargetDisk, personaliseClone, runTool, type ToolRunner } from '@rackcast/agent';
import { tempDir } from './helpers/temp-dir.js';
import { buildGoldenImage, checkExt4, diskCopy, goldenPlan, listExt4Dir, readExt4File, tool, type GoldenImage } from './helpers/golden-plan.js';

const GIB = 2 ** 30;
const DHCP_NIC: NicConfig = { mac: '52:54:00:A7:00:07', mode: 'dhcp', address: '', gateway: '', dns: [] };
const STATIC_NIC: NicConfig = { mac: '52:54:00:a7:00:08', mode: 'static', address: '10.20.0.7/24', gateway: '10.20.0.1', dns: ['10.20.0.2'] };
const UEFI_ENTRY = { label: 'rackcast golden', partition: 1, loader: 'EFI/BOOT/BOOTX64.EFI' };

let work: Awaited<ReturnType<typeof tempDir>>;
let golden: GoldenImage;
let copies = 0;

/** The real tools, except efibootmgr, which is recorded and answers with an empty boot list. */
function recordingRunner(): { runner: ToolRunner; efibootmgr: string[][] } {
  const efibootmgr: string[][] = [];
  const runner: ToolRunner = async (command, args, options) => {
    if (command !== 'efibootmgr') return runTool(command, args, options);
    efibootmgr.push([...args]);
    return { code: 0, stdout: args.length === 0 ? 'BootCurrent: 0001\nBootOrder: 0001\nBoot0001* UEFI PXEv4\tPciRoot(0x0)\n' : '', stderr: '' };
  };
  return { runner, efibootmgr };
}

async function sysRoot(uefi: boolean): Promise<string> {
  const root = join(work.path, `sys-${uefi ? 'uefi' : 'bios'}-${++copies}`);
  await mkdir(uefi ? join(root, 'firmware', 'efi') : root, { recursive: true });
  return root;
}

const file = (disk: string, path: string): Promise<string> => readExt4File(disk, golden.root.offset, path);

before(async () => {
  work = await tempDir('personalise');
  golden = await buildGoldenImage(work.path);
});

after(async () => { await work?.remove(); });

describe('personaliseClone on the golden image', () => {
  test('hostname, hosts, each network format keyed to the MACs, a new machine-id, no host keys, a UEFI entry; e2fsck clean', async (t) => {
    const disk = await diskCopy(golden, join(work.path, 'uefi.img'), GIB);
    const plan = goldenPlan(golden, { targetBytes: GIB, hostname: 'rack1-7', nics: [DHCP_NIC, STATIC_NIC], uefiBootEntry: UEFI_ENTRY });
    await fitTargetDisk(disk, plan);
    const { runner, efibootmgr } = recordingRunner();
    const start = process.hrtime.bigint();
    const result = await personaliseClone(disk, plan, { runner, sysRoot: await sysRoot(true) });
    t.diagnostic(`personalise on 1 GiB: ${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(3)} s (with e2fsck -fn)`);

    assert.equal(await file(disk, '/etc/hostname'), 'rack1-7\n');
    assert.equal(await file(disk, '/etc/hosts'), '127.0.0.1\tlocalhost\n127.0.1.1\track1-7\n::1\tlocalhost ip6-localhost ip6-loopback\n');
    const id = await file(disk, '/etc/machine-id');
    assert.match(id, /^[0-9a-f]{32}\n$/);
    assert.notEqual(id.trim(), golden.machineId);
    assert.equal(result.root?.newMachineId, id.trim());
    assert.match(await tool('debugfs', ['-R', 'ls -p /var/lib/dbus', `${disk}?offset=${golden.root.offset}`]), /\/120777\/0\/0\/machine-id\//, 'dbus\'s link to /etc/machine-id stays a link');
    assert.deepEqual(await listExt4Dir(disk, golden.root.offset, '/etc/ssh'), []);
    assert.equal(result.root?.removedSshHostKeys.length, 6);

    const ifupdown = await file(disk, '/etc/network/interfaces');
    assert.match(ifupdown, /^# 52:54:00:a7:00:07\nallow-hotplug eth0\niface eth0 inet dhcp$/m);
    assert.match(ifupdown, /^# 52:54:00:a7:00:08\nallow-hotplug eth1\niface eth1 inet static\n\taddress 10\.20\.0\.7\/24\n\tgateway 10\.20\.0\.1\n\tdns-nameservers 10\.20\.0\.2$/m);
    assert.match(await file(disk, '/etc/network/interfaces.rackcast-source'), /iface eth0 inet dhcp/);
    assert.match(await file(disk, '/etc/systemd/network/05-rackcast-525400a70007.network'), /^\[Match\]\nMACAddress=52:54:00:a7:00:07\n\n\[Network\]\nDHCP=ipv4$/m);
    assert.match(await file(disk, '/etc/systemd/network/05-rackcast-525400a70008.network'), /^MACAddress=52:54:00:a7:00:08\n\n\[Network\]\nAddress=10\.20\.0\.7\/24\nGateway=10\.20\.0\.1\nDNS=10\.20\.0\.2$/m);
    const netplan = await file(disk, '/etc/netplan/90-rackcast.yaml');
    assert.match(netplan, /^ {4}eth0:\n {6}match:\n {8}macaddress: "52:54:00:a7:00:07"\n {6}set-name: eth0\n {6}dhcp4: true$/m);
    assert.match(netplan, /macaddress: "52:54:00:a7:00:08"\n {6}set-name: eth1\n {6}addresses:\n {8}- "10\.20\.0\.7\/24"/);
    assert.deepEqual((await listExt4Dir(disk, golden.root.offset, '/etc/netplan')).sort(), ['50-golden.yaml.rackcast-source', '90-rackcast.yaml']);
    assert.deepEqual((await listExt4Dir(disk, golden.root.offset, '/etc/systemd/network')).sort(),
      ['05-rackcast-525400a70007.network', '05-rackcast-525400a70008.network', '10-golden.network.rackcast-source']);
    const ls = await tool('debugfs', ['-R', 'ls -p /etc/netplan', `${disk}?offset=${golden.root.offset}`]);
    assert.match(ls, /\/100600\/0\/0\/90-rackcast\.yaml\//, 'netplan file mode 0600, root-owned');
    assert.match(await tool('debugfs', ['-R', 'ls -p /etc', `${disk}?offset=${golden.root.offset}`]), /\/100444\/0\/0\/machine-id\/33\//, 'machine-id keeps its mode 0444');

    const fsck = await checkExt4(disk, golden.root.offset);
    assert.equal(fsck.code, 0, fsck.output);
    assert.deepEqual(efibootmgr, [[], ['--create', '--disk', disk, '--part', '1', '--label', 'rackcast golden', '--loader', '\\EFI\\BOOT\\BOOTX64.EFI']]);
    assert.deepEqual(result.uefiBootEntry, { created: true, replaced: [], command: `efibootmgr --create --disk ${disk} --part 1 --label 'rackcast golden' --loader '\\EFI\\BOOT\\BOOTX64.EFI'` });
  });

  test('BIOS machine: no efibootmgr call; an empty machine-id stays empty for systemd; a second run replaces its own files', async () => {
    const disk = await diskCopy(golden, join(work.path, 'bios.img'), golden.diskBytes);
    const target = `${disk}?offset=${golden.root.offset}`;
    await tool('sh', ['-c', `: > ${join(work.path, 'empty')} && debugfs -w -f - '${target}'`], `rm /etc/machine-id\nwrite ${join(work.path, 'empty')} /etc/machine-id\n`);
    const plan = goldenPlan(golden, { hostname: 'web-07.dc1.example.com', nics: [DHCP_NIC], uefiBootEntry: UEFI_ENTRY });
    const { runner, efibootmgr } = recordingRunner();
    const first = await personaliseClone(disk, plan, { runner, sysRoot: await sysRoot(false) });
    assert.deepEqual(efibootmgr, []);
    assert.deepEqual(first.uefiBootEntry, { created: false, reason: 'the machine was not booted by UEFI firmware' });
    assert.equal(first.root?.machineId, 'keep-empty');
    assert.equal(await file(disk, '/etc/machine-id'), '');
    assert.equal(await file(disk, '/etc/hosts'), '127.0.0.1\tlocalhost\n127.0.1.1\tweb-07.dc1.example.com web-07\n::1\tlocalhost ip6-localhost ip6-loopback\n');
    const second = await personaliseClone(disk, { ...plan, personalise: { ...plan.personalise, hostname: 'web-08', nics: [STATIC_NIC] } }, { runner, sysRoot: await sysRoot(false) });
    assert.equal(second.root?.previousHostname, 'web-07.dc1.example.com');
    assert.match(await file(disk, '/etc/netplan/90-rackcast.yaml'), /52:54:00:a7:00:08/);
    assert.doesNotMatch(await file(disk, '/etc/netplan/90-rackcast.yaml'), /52:54:00:a7:00:07/);
    assert.match(await file(disk, '/etc/network/interfaces.rackcast-source'), /iface eth0 inet dhcp/, 'the first copy of the source\'s file stays');
    assert.equal((await checkExt4(disk, golden.root.offset)).code, 0);
  });

  test('a bad plan is refused before anything is written', async () => {
    const disk = await diskCopy(golden, join(work.path, 'bad.img'), golden.diskBytes);
    for (const plan of [goldenPlan(golden, { hostname: 'rack_1' }), goldenPlan(golden, { nics: [{ ...STATIC_NIC, address: '10.20.0.7' }] })]) {
      await assert.rejects(personaliseClone(disk, plan, { sysRoot: await sysRoot(false) }), (e: Error & { code?: string }) => e.code === 'RC_ERR_PERSONALISE_PLAN');
    }
    assert.equal(await file(disk, '/etc/hostname'), `${golden.hostname}\n`);
    await assert.rejects(personaliseClone(disk, { ...goldenPlan(golden), personalise: { ...goldenPlan(golden).personalise, rootPartition: 1 } }, { sysRoot: await sysRoot(false) }),
      (e: Error & { code?: string }) => e.code === 'RC_ERR_PERSONALISE_ROOT');
  });

  test('20 GiB sparse disk: fit and personalise, timed', async (t) => {
    const disk = await diskCopy(golden, join(work.path, 'big.img'), 20 * GIB);
    const plan = goldenPlan(golden, { targetBytes: 20 * GIB, nics: [DHCP_NIC] });
    const s0 = process.hrtime.bigint();
    await fitTargetDisk(disk, plan);
    const s1 = process.hrtime.bigint();
    await personaliseClone(disk, plan, { sysRoot: await sysRoot(false) });
    const s2 = process.hrtime.bigint();
    t.diagnostic(`20 GiB: fit ${(Number(s1 - s0) / 1e9).toFixed(3)} s, personalise ${(Number(s2 - s1) / 1e9).toFixed(3)} s (with e2fsck -fn)`);
    assert.equal(await file(disk, '/etc/hostname'), 'rack1-7\n');
    assert.equal((await checkExt4(disk, golden.root.offset)).code, 0);
  });
});
