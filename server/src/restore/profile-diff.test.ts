import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MachineProfile } from '@rackcast/wire';
import { bootModesOf } from './boot-modes.js';
import { diffProfiles, refusalOf, type DiffContext, type ProfileDifference } from './profile-diff.js';
import {
  GIB, SOURCE_BOOT, SOURCE_SECOND, TARGET_BOOT, TARGET_SECOND, capturedConfig, disk, imageFacts, machineProfile, nic, replacementProfile,
} from './sample-machines.js';

const MIB = 2 ** 20;

function context(over: Partial<DiffContext> = {}): DiffContext {
  const config = capturedConfig();
  return {
    sourceBootMac: SOURCE_BOOT, targetBootMac: TARGET_BOOT, interfaces: config.interfaces, capturedDisk: config.disk,
    usedEndBytes: 300 * MIB, bootModes: bootModesOf(config, imageFacts()), ...over,
  };
}

const of = (differences: readonly ProfileDifference[], area: string) => differences.filter((d) => d.area === area).map((d) => [d.severity, d.source, d.target]);

describe('diffProfiles', () => {
  test('the same machine: no differences, every interface on its own MAC', () => {
    const { differences, nicMap } = diffProfiles(machineProfile(), machineProfile(), context({ targetBootMac: SOURCE_BOOT }));
    assert.deepEqual(differences, []);
    assert.deepEqual(nicMap.map((m) => [m.interface, m.sourceMac, m.targetMac, m.match, m.mode, m.address]), [
      ['enp1s0', SOURCE_BOOT, SOURCE_BOOT, 'same-mac', 'static', '10.0.0.7/24'],
      ['enp2s0', SOURCE_SECOND, SOURCE_SECOND, 'same-mac', 'dhcp', ''],
    ]);
  });

  test('a replacement with other MACs, a larger disk and another UUID: mapped boot NIC to boot NIC, then by order; nothing refused', () => {
    const { differences, nicMap } = diffProfiles(machineProfile(), replacementProfile(), context());
    assert.deepEqual(nicMap.map((m) => [m.interface, m.targetMac, m.match]), [['enp1s0', TARGET_BOOT, 'boot-nic'], ['enp2s0', TARGET_SECOND, 'order']]);
    assert.deepEqual(of(differences, 'nic'), [['adapt', SOURCE_BOOT, TARGET_BOOT], ['adapt', SOURCE_SECOND, TARGET_SECOND]]);
    assert.deepEqual(of(differences, 'disk'), [['adapt', '512.0 MiB', '1.0 GiB'], ['info', 'disk-a', 'disk-b']]);
    assert.match(differences.find((d) => d.area === 'disk')?.message ?? '', /larger by 512\.0 MiB: the layout is fitted/);
    assert.deepEqual(of(differences, 'system'), [['info', '11111111-2222-3333-4444-555555555555', '99999999-2222-3333-4444-555555555555']]);
    assert.equal(refusalOf(differences), null);
  });

  test('the target boots from its second NIC: the source boot NIC goes there', () => {
    const target = replacementProfile();
    const { nicMap } = diffProfiles(machineProfile(), target, context({ targetBootMac: TARGET_SECOND }));
    assert.deepEqual(nicMap.map((m) => [m.interface, m.targetMac, m.match]), [['enp1s0', TARGET_SECOND, 'boot-nic'], ['enp2s0', TARGET_BOOT, 'order']]);
  });

  test('a kept MAC stays on its NIC even when the other moved (one NIC card swapped)', () => {
    const target = replacementProfile({ nics: [nic('enp1s0', SOURCE_BOOT), nic('enp2s0', TARGET_SECOND)] });
    const { nicMap, differences } = diffProfiles(machineProfile(), target, context({ targetBootMac: SOURCE_BOOT }));
    assert.deepEqual(nicMap.map((m) => [m.targetMac, m.match]), [[SOURCE_BOOT, 'same-mac'], [TARGET_SECOND, 'order']]);
    assert.deepEqual(of(differences, 'nic'), [['adapt', SOURCE_SECOND, TARGET_SECOND]]);
  });

  test('one NIC fewer: the second interface is not written (adapt); the count differs (info)', () => {
    const { differences, nicMap } = diffProfiles(machineProfile(), replacementProfile({ nics: [nic('eno1', TARGET_BOOT)] }), context());
    assert.deepEqual(nicMap.map((m) => [m.interface, m.targetMac, m.match]), [['enp1s0', TARGET_BOOT, 'boot-nic'], ['enp2s0', null, 'none']]);
    assert.deepEqual(of(differences, 'nic'), [['adapt', SOURCE_BOOT, TARGET_BOOT], ['adapt', SOURCE_SECOND, '-'], ['info', '2 NICs', '1 NICs']]);
  });

  test('a target disk below the used end is refused; a smaller one above it is fitted', () => {
    const tiny = diffProfiles(machineProfile(), replacementProfile({ disks: [disk('sda', 256 * MIB, 'small')] }), context());
    assert.deepEqual(of(tiny.differences, 'disk').map(([s]) => s), ['refuse']);
    assert.match(refusalOf(tiny.differences) ?? '', /^disk: the image needs 314572800 bytes \(300\.0 MiB\) but the largest fixed disk, sda/);
    const smaller = diffProfiles(machineProfile(), replacementProfile({ disks: [disk('sda', 400 * MIB, 'smaller')] }), context());
    assert.equal(refusalOf(smaller.differences), null);
    assert.match(smaller.differences.find((d) => d.area === 'disk')?.message ?? '', /smaller by 112\.0 MiB \(the image uses 300\.0 MiB\)/);
  });

  test('firmware: BIOS target adapted when the image also boots BIOS, refused when it does not', () => {
    const bios = (p: MachineProfile): MachineProfile => ({ ...p, firmware: { ...p.firmware, mode: 'bios', secureBoot: null } });
    const both = diffProfiles(machineProfile(), bios(replacementProfile()), context());
    assert.deepEqual(of(both.differences, 'firmware'), [['adapt', 'uefi', 'bios']]);
    const uefiOnly = capturedConfig();
    const table = uefiOnly.partitionTable;
    assert.ok(table);
    const noLegacy = { ...uefiOnly, partitionTable: { ...table, partitions: table.partitions.map((p) => ({ ...p, attrs: '' })) } };
    assert.deepEqual(bootModesOf(noLegacy, imageFacts()), ['uefi']);
    const refused = diffProfiles(machineProfile(), bios(replacementProfile()), context({ bootModes: bootModesOf(noLegacy, imageFacts()) }));
    assert.deepEqual(of(refused.differences, 'firmware'), [['refuse', 'uefi', 'bios']]);
    assert.match(refusalOf(refused.differences) ?? '', /firmware: the image boots only uefi; switch the target's firmware to UEFI mode/);
  });

  test('another CPU architecture is refused; another CPU, memory or model is information', () => {
    const source = machineProfile();
    const arm = replacementProfile({ cpu: { ...source.cpu, architecture: 'aarch64' } });
    assert.deepEqual(of(diffProfiles(source, arm, context()).differences, 'cpu'), [['refuse', 'x86_64', 'aarch64']]);
    const other = replacementProfile({ cpu: { ...source.cpu, model: 'EPYC', threads: 8 }, memory: { totalBytes: GIB }, system: { ...source.system, vendor: 'Dell Inc.', model: 'R640' } });
    const d = diffProfiles(source, other, context()).differences;
    assert.deepEqual([...of(d, 'cpu'), ...of(d, 'memory')], [['info', 'QEMU Virtual CPU ×2', 'EPYC ×8'], ['info', '2.0 GiB', '1.0 GiB']]);
    assert.equal(d.filter((x) => x.area === 'system').length, 1, 'model differs; UUID is the same');
    assert.equal(refusalOf(d), null);
  });

  test('two interfaces configuring one NIC: the one bound by MAC wins, the other is superseded', () => {
    const interfaces = [
      { name: 'eth0', mac: '', source: 'ifupdown' as const, dhcp4: false, dhcp6: false, addresses: ['10.0.0.5/24', '10.0.0.6/24'], gateways: ['10.0.0.1'], dns: [] },
      { name: 'lan1', mac: SOURCE_BOOT.toUpperCase(), source: 'systemd-networkd' as const, dhcp4: true, dhcp6: false, addresses: [], gateways: [], dns: [] },
    ];
    const source = machineProfile({ nics: [nic('eth0', SOURCE_BOOT)] });
    const { nicMap } = diffProfiles(source, replacementProfile({ nics: [nic('eth0', TARGET_BOOT)] }), context({ interfaces }));
    assert.deepEqual(nicMap.map((m) => [m.interface, m.targetMac, m.match, m.mode]), [['eth0', TARGET_BOOT, 'superseded', 'static'], ['lan1', TARGET_BOOT, 'boot-nic', 'dhcp']]);
    assert.match(nicMap[0]?.note ?? '', /lan1 \(systemd-networkd\) configures 52:54:00:0b:00:01 too/);
  });

  test('no source profile: the capture\'s MAC is the source boot NIC; hardware is not compared', () => {
    const { differences, nicMap } = diffProfiles(null, replacementProfile(), context());
    assert.deepEqual(nicMap.map((m) => [m.sourceMac, m.targetMac, m.match]), [[SOURCE_BOOT, TARGET_BOOT, 'boot-nic'], ['', null, 'none']]);
    assert.deepEqual(differences.map((d) => [d.area, d.severity]), [['system', 'info'], ['disk', 'adapt'], ['nic', 'adapt'], ['nic', 'adapt'], ['nic', 'info']]);
  });
});
