import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDeployPlan, type DiskProfile, type MachineProfile } from '@rackcast/wire';
import { expandHostname, checkHostnamePattern } from './hostname-pattern.js';
import { readExtSuperblock, type FactPartition, type ImageFacts } from './image-facts.js';
import { ESP_TYPE, LINUX_TYPE, ext4Superblock, gptBytes } from './gpt-fixture.js';
import { readPartitionLayout } from './partition-layout.js';
import { planRestore, type PlanResult } from './plan-restore.js';
import { memberAddress, parseCidr } from './static-address.js';

/*
 * The planner on made-up machines and on partition tables built byte by byte here: a GPT like
 * the golden image's (ESP + ext4 "root"), an MBR disk, machines with two disks, a removable
 * one, one too small, and hostname patterns.
 */

const MIB = 2 ** 20;
const GIB = 2 ** 30;
/** The golden image's facts: 512 MiB GPT, ESP 64 MiB at 1 MiB, ext4 "root" to the end. */
function goldenFacts(): ImageFacts {
  const sectors = 512 * MIB / 512;
  const { head, tail } = gptBytes(sectors, [
    { type: ESP_TYPE, first: 2048, last: 133119, name: 'EFI System' },
    { type: LINUX_TYPE, first: 133120, last: sectors - 34, name: 'root' },
  ]);
  const layout = readPartitionLayout(head, tail);
  const partitions: FactPartition[] = layout.partitions.map((p) => ({ ...p, ...(p.kind === 'linux' ? readExtSuperblock(ext4Superblock('root')) : { filesystem: 'unknown' as const, label: '' }) }));
  return { name: 'golden', version: 1, diskBytes: 512 * MIB, usedEndBytes: 512 * MIB, table: layout.table, partitions, notes: layout.notes, sourceFirmware: 'unknown' };
}

function disk(name: string, sizeBytes: number, extra: Partial<DiskProfile> = {}): DiskProfile {
  return {
    name, sizeBytes, logicalBlockSize: 512, physicalBlockSize: 512, rotational: false, removable: false, readOnly: false,
    model: 'QEMU HARDDISK', vendor: '', serial: `serial-${name}`, wwn: '', transport: 'virtio', sysfsPath: `pci/${name}`, ...extra,
  };
}

function machine(disks: DiskProfile[], firmware: 'bios' | 'uefi' = 'bios'): { mac: string; profile: MachineProfile } {
  return {
    mac: '52:54:00:aa:00:01',
    profile: {
      schema: 1, detectedAt: '2025-01-31T10:00:00.000Z',
      system: { uuid: '', serial: 'SN-1', vendor: 'QEMU', model: 'pc', boardVendor: '', boardModel: '', boardSerial: '', chassisType: '', chassisSerial: '', assetTag: '' },
      firmware: { mode: firmware, vendor: '', version: '', date: '', secureBoot: null },
      cpu: { vendor: '', model: '', architecture: 'x86_64', sockets: 1, cores: 1, threads: 1, mhz: 0 },
      memory: { totalBytes: GIB }, disks,
      nics: [
        { name: 'eth0', mac: '52:54:00:aa:00:01', driver: 'virtio_net', speedMbps: null, carrier: true, operstate: 'up', mtu: 1500, sysfsPath: '', addresses: [] },
        { name: 'eth1', mac: '52:54:00:aa:00:02', driver: 'virtio_net', speedMbps: null, carrier: false, operstate: 'down', mtu: 1500, sysfsPath: '', addresses: [] },
      ],
      problems: [],
    },
  };
}

function planOf(result: PlanResult) {
  assert.ok(result.ok, `refused: ${JSON.stringify(!result.ok && result.refusal)}`);
  assert.deepEqual(parseDeployPlan(JSON.parse(JSON.stringify(result.plan))), result.plan, 'the plan passes the wire check');
  return result;
}

describe('partition tables from the manifest\'s bytes', () => {
  test('GPT: ESP and ext4 root, with names and 1-based numbers; the backup is used when the primary is damaged', () => {
    const facts = goldenFacts();
    assert.equal(facts.table, 'gpt');
    assert.deepEqual(facts.partitions.map((p) => [p.number, p.kind, p.startBytes, p.sizeBytes, p.name, p.filesystem, p.label]), [
      [1, 'esp', MIB, 64 * MIB, 'EFI System', 'unknown', ''],
      [2, 'linux', 65 * MIB, 512 * MIB - 65 * MIB - 33 * 512, 'root', 'ext4', 'root'],
    ]);
    const { head, tail } = gptBytes(1 << 20, [{ type: LINUX_TYPE, first: 2048, last: 4095, name: 'x' }]);
    const damaged = Buffer.from(head);
    damaged.write('BROKEN!!', 512, 'latin1');
    const fromBackup = readPartitionLayout(damaged, tail);
    assert.deepEqual([fromBackup.table, fromBackup.partitions.length, fromBackup.notes.length], ['gpt', 1, 1]);
  });

  test('MBR: primary partitions by type byte; no signature means no table', () => {
    const mbr = Buffer.alloc(34 * 512);
    const entry = (slot: number, type: number, start: number, sectors: number) => {
      mbr[446 + slot * 16 + 4] = type;
      mbr.writeUInt32LE(start, 446 + slot * 16 + 8);
      mbr.writeUInt32LE(sectors, 446 + slot * 16 + 12);
    };
    entry(0, 0x83, 2048, 1_000_000);
    entry(1, 0x82, 1_002_048, 200_000);
    entry(2, 0x05, 1_202_048, 1000);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    const layout = readPartitionLayout(mbr, new Uint8Array(0));
    assert.deepEqual(layout.partitions.map((p) => [p.number, p.kind, p.type]), [[1, 'linux', '0x83'], [2, 'swap', '0x82'], [3, 'extended', '0x05']]);
    assert.match(layout.notes[0] ?? '', /logical partitions are not listed/);
    assert.equal(readPartitionLayout(Buffer.alloc(34 * 512), new Uint8Array(0)).table, 'none');
    assert.deepEqual(readExtSuperblock(Buffer.alloc(1024)), { filesystem: 'unknown', label: '' });
  });
});

describe('planRestore', () => {
  test('GPT image onto a larger disk: grow the root, personalise it, DHCP on the boot NIC', () => {
    const { plan, reasons } = planOf(planRestore(goldenFacts(), machine([disk('vda', 2 * GIB)]), { hostname: 'rack1-1', nics: 'boot-dhcp' }));
    assert.deepEqual(plan.target, { serial: 'serial-vda', wwn: '', sizeBytes: 2 * GIB, model: 'QEMU HARDDISK', nameHint: 'vda' });
    assert.deepEqual(plan.layout, { resizePartition: 2, filesystem: 'ext4' });
    assert.deepEqual([plan.personalise.rootPartition, plan.personalise.hostname, plan.personalise.uefiBootEntry], [2, 'rack1-1', null]);
    assert.deepEqual(plan.personalise.nics, [{ mac: '52:54:00:aa:00:01', mode: 'dhcp', address: '', gateway: '', dns: [] }]);
    assert.match(reasons.join('\n'), /the only fixed disk/);
    assert.match(reasons.join('\n'), /partition 2 \(ext4 "root"\) grows by 1\.5 GiB/);
  });

  test('a UEFI machine gets a boot entry on the ESP; all-dhcp configures every NIC', () => {
    const { plan } = planOf(planRestore(goldenFacts(), machine([disk('nvme0n1', 512 * MIB)], 'uefi'), { hostname: 'web-07', nics: 'all-dhcp' }));
    assert.deepEqual(plan.personalise.uefiBootEntry, { label: 'web-07', partition: 1, loader: '\\EFI\\BOOT\\BOOTX64.EFI' });
    assert.deepEqual(plan.personalise.nics.map((n) => n.mac), ['52:54:00:aa:00:01', '52:54:00:aa:00:02']);
    assert.deepEqual(plan.layout, { resizePartition: null, filesystem: 'none' }, 'same size: nothing to fit');
  });

  test('static addressing: member n gets the n-th address on its boot NIC, other NICs DHCP; a pool too small is refused', () => {
    const staticAddress = { first: '10.0.1.21/24', gateway: '10.0.1.1', dns: ['10.0.1.2'] };
    const { plan, reasons } = planOf(planRestore(goldenFacts(), machine([disk('vda', 2 * GIB)]), { hostname: 'rack1-3', nics: 'all-dhcp', staticAddress, memberIndex: 3 }));
    assert.deepEqual(plan.personalise.nics, [
      { mac: '52:54:00:aa:00:01', mode: 'static', address: '10.0.1.23/24', gateway: '10.0.1.1', dns: ['10.0.1.2'] },
      { mac: '52:54:00:aa:00:02', mode: 'dhcp', address: '', gateway: '', dns: [] },
    ]);
    assert.match(reasons.join('\n'), /static address 10\.0\.1\.23\/24 on the boot NIC/);
    assert.doesNotThrow(() => parseDeployPlan(JSON.parse(JSON.stringify(plan))), 'the plan passes the wire check');
    const refused = planRestore(goldenFacts(), machine([disk('vda', 2 * GIB)]), { hostname: 'h', nics: 'boot-dhcp', staticAddress: { first: '10.0.1.254/24', gateway: '', dns: [] }, memberIndex: 2 });
    assert.equal(refused.ok, false);
    assert.equal(refused.ok ? '' : refused.refusal.code, 'RC_ERR_PLAN_ADDRESS', 'the 2nd address would be the broadcast address');
  });

  test('member addresses stay inside the subnet', () => {
    assert.equal(memberAddress('10.0.1.21/24', 1), '10.0.1.21/24');
    assert.equal(memberAddress('10.0.1.250/24', 5), '10.0.1.254/24');
    assert.equal(memberAddress('10.0.1.250/24', 6), null);
    assert.equal(memberAddress('10.0.255.254/16', 2), null, 'the broadcast address of 10.0.0.0/16');
    assert.equal(memberAddress('192.168.0.10/23', 250), '192.168.1.3/23');
    assert.equal(memberAddress('10.0.1.0/24', 1), null, 'the network address itself');
    assert.equal(memberAddress('10.0.1.300/24', 1), null);
    assert.equal(parseCidr('10.0.1.1'), null);
  });

  test('two disks: the smallest that fits is the target, the other is listed untouched, and the plan says why', () => {
    const result = planOf(planRestore(goldenFacts(), machine([disk('sda', 100 * GIB), disk('sdb', 8 * GIB), disk('sdc', 256 * MIB)]), { hostname: 'h', nics: 'boot-dhcp' }));
    assert.equal(result.plan.target.nameHint, 'sdb');
    assert.deepEqual(result.plan.untouched.map((d) => d.nameHint), ['sda', 'sdc']);
    assert.match(result.reasons[0] ?? '', /^target sdb \(8\.0 GiB, serial serial-sdb\): the smallest of 2 fixed disks that hold the image's 512\.0 MiB; left untouched: sda/);
  });

  test('a removable disk is never the target, however well it fits', () => {
    const result = planOf(planRestore(goldenFacts(), machine([disk('sdb', 600 * MIB, { removable: true }), disk('sda', 64 * GIB)]), { hostname: 'h', nics: 'boot-dhcp' }));
    assert.equal(result.plan.target.nameHint, 'sda');
    assert.ok(result.reasons.some((r) => /sdb .* is removable: never written/.test(r)));
    const only = planRestore(goldenFacts(), machine([disk('sdb', 64 * GIB, { removable: true })]), { hostname: 'h', nics: 'boot-dhcp' });
    assert.deepEqual(only.ok ? null : only.refusal.code, 'RC_ERR_PLAN_NO_DISK');
    const none = planRestore(goldenFacts(), machine([]), { hostname: 'h', nics: 'boot-dhcp' });
    assert.match(none.ok ? '' : none.refusal.message, /reports no disks/);
  });

  test('too small: refused with both sizes; same-size disks without identity: refused as ambiguous', () => {
    const small = planRestore(goldenFacts(), machine([disk('vda', 256 * MIB), disk('vdb', 511 * MIB)]), { hostname: 'h', nics: 'boot-dhcp' });
    assert.ok(!small.ok);
    assert.equal(small.refusal.code, 'RC_ERR_PLAN_DISK_TOO_SMALL');
    assert.match(small.refusal.message, /needs 536870912 bytes .* largest fixed disk, vdb \(511\.0 MiB/);
    const twins = planRestore(goldenFacts(), machine([disk('vda', GIB, { serial: '' }), disk('vdb', GIB, { serial: '' })]), { hostname: 'h', nics: 'boot-dhcp' });
    assert.equal(twins.ok ? null : twins.refusal.code, 'RC_ERR_PLAN_DISK_AMBIGUOUS');
    const noName = planRestore(goldenFacts(), machine([disk('vda', GIB)]), { hostname: null, nics: 'boot-dhcp' });
    assert.equal(noName.ok ? null : noName.refusal.code, 'RC_ERR_PLAN_HOSTNAME');
  });

  test('a GPT image used to 420 MiB: a 480 MiB disk is planned with root shrunk, a 400 MiB disk refused naming both sizes', () => {
    const facts = { ...goldenFacts(), usedEndBytes: 420 * MIB };
    const { plan, reasons } = planOf(planRestore(facts, machine([disk('vda', 480 * MIB)]), { hostname: 'h', nics: 'boot-dhcp' }));
    assert.deepEqual([plan.target.sizeBytes, plan.image.usedEndBytes, plan.layout.resizePartition], [480 * MIB, 420 * MIB, 2]);
    assert.ok(reasons.some((r) => /partition 2 .* shrinks by 32\.0 MiB/.test(r)));
    const small = planRestore(facts, machine([disk('vda', 400 * MIB)]), { hostname: 'h', nics: 'boot-dhcp' });
    assert.equal(small.ok ? null : small.refusal.code, 'RC_ERR_PLAN_DISK_TOO_SMALL');
    assert.match(small.ok ? '' : small.refusal.message, /needs 440401920 bytes \(420\.0 MiB\) .* vda \(400\.0 MiB.* has 419430400/);
  });

  test('an MBR image with a swap partition last: nothing is resized, the root is the largest ext4', () => {
    const facts: ImageFacts = {
      name: 'legacy', version: 3, diskBytes: GIB, usedEndBytes: 900 * MIB, table: 'mbr', notes: [], sourceFirmware: 'bios',
      partitions: [
        { number: 1, startBytes: MIB, sizeBytes: 100 * MIB, kind: 'linux', type: '0x83', name: '', filesystem: 'ext4', label: 'boot' },
        { number: 2, startBytes: 101 * MIB, sizeBytes: 800 * MIB, kind: 'linux', type: '0x83', name: '', filesystem: 'ext4', label: '' },
        { number: 3, startBytes: 901 * MIB, sizeBytes: 100 * MIB, kind: 'swap', type: '0x82', name: '', filesystem: 'unknown', label: '' },
      ],
    };
    const { plan, reasons } = planOf(planRestore(facts, machine([disk('sda', 950 * MIB)], 'uefi'), { hostname: 'old-1', nics: 'boot-dhcp' }));
    assert.equal(plan.target.nameHint, 'sda', 'a disk smaller than the image but above its used end fits');
    assert.deepEqual([plan.layout.resizePartition, plan.personalise.rootPartition, plan.image.table], [null, 2, 'mbr']);
    assert.ok(reasons.some((r) => /no EFI System Partition/.test(r)));
    assert.ok(reasons.some((r) => /comes from a bios machine; this one boots uefi/.test(r)));
  });
});

describe('hostname patterns', () => {
  const fields = { n: 3, mac: '52:54:00:AB:cd:01', serial: 'CZJ 123', image: 'golden' };
  test('{n}, {mac}, {serial} and {image} expand to a lowercase host name; an invalid result is null', () => {
    assert.equal(expandHostname('rack1-{n}', fields), 'rack1-3');
    assert.equal(expandHostname('{mac}', fields), '52-54-00-ab-cd-01');
    assert.equal(expandHostname('{image}-{n}.lab', fields), 'golden-3.lab');
    assert.equal(expandHostname('{serial}', fields), null, 'a space is not allowed');
    assert.equal(expandHostname('{serial}', { ...fields, serial: '' }), null);
    assert.equal(expandHostname('n{serial}', { ...fields, serial: 'CZJ1234' }), 'nczj1234');
  });
  test('patterns are checked before a deploy starts', () => {
    assert.doesNotThrow(() => checkHostnamePattern('rack1-{n}'));
    assert.throws(() => checkHostnamePattern('rack-{name}'), /\{name\}/);
    assert.throws(() => checkHostnamePattern('rack_{n}'), /cannot make a host name/);
  });
});
