import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDeployPlan, type MachineProfile } from '@rackcast/wire';
import { planRecovery, type RecoverySource } from './plan-recovery.js';
import { GIB, SOURCE_BOOT, TARGET_BOOT, TARGET_SECOND, capturedConfig, disk, imageFacts, machineProfile, replacementProfile } from './sample-machines.js';

const MIB = 2 ** 20;
const source = (over: Partial<RecoverySource> = {}): RecoverySource => ({ config: capturedConfig(), profile: machineProfile(), bootMac: SOURCE_BOOT, ...over });
const onto = (profile: MachineProfile, mac = TARGET_BOOT) => ({ mac, profile });

describe('planRecovery', () => {
  test('onto a replacement with other MACs and a larger disk: the captured identity on the mapped NICs, keys kept, layout grown', () => {
    const { result, diff, nicMap, bootModes } = planRecovery(imageFacts(), source(), onto(replacementProfile()));
    assert.ok(result.ok, JSON.stringify(!result.ok && result.refusal));
    const { plan } = result;
    assert.deepEqual(parseDeployPlan(JSON.parse(JSON.stringify(plan))), plan, 'the plan passes the agent\'s check');
    assert.equal(plan.personalise.hostname, 'web-07');
    assert.deepEqual(plan.personalise.nics, [
      { mac: TARGET_BOOT, mode: 'static', address: '10.0.0.7/24', gateway: '10.0.0.1', dns: ['10.0.0.53'] },
      { mac: TARGET_SECOND, mode: 'dhcp', address: '', gateway: '', dns: [] },
    ]);
    assert.deepEqual([plan.personalise.newMachineId, plan.personalise.removeSshHostKeys], [false, false], 'the same host comes back: machine-id and host keys stay');
    assert.deepEqual(plan.personalise.uefiBootEntry, { label: 'debian', partition: 1, loader: '\\EFI\\BOOT\\BOOTX64.EFI' });
    assert.deepEqual([plan.target.serial, plan.target.sizeBytes], ['disk-b', GIB]);
    assert.deepEqual(plan.layout, { resizePartition: 2, filesystem: 'ext4' });
    assert.match(result.reasons[0] ?? '', /^restore of web-07 as captured at 2025-03-01T09:15:00\.000Z: machine-id and SSH host keys kept as captured$/);
    assert.deepEqual(bootModes, ['bios', 'uefi']);
    assert.equal(nicMap.length, 2);
    assert.ok(diff.every((d) => d.severity !== 'refuse'));
  });

  test('onto the same machine: same MACs, same disk, nothing to fit', () => {
    const { result } = planRecovery(imageFacts(), source(), onto(machineProfile(), SOURCE_BOOT));
    assert.ok(result.ok);
    assert.deepEqual(result.plan.personalise.nics.map((n) => [n.mac, n.mode]), [[SOURCE_BOOT, 'static'], ['52:54:00:0a:00:02', 'dhcp']]);
    assert.deepEqual(result.plan.layout, { resizePartition: null, filesystem: 'none' });
  });

  test('a disk smaller than the used end is refused with the diff behind it', () => {
    const { result, diff } = planRecovery(imageFacts(), source(), onto(replacementProfile({ disks: [disk('sda', 200 * MIB, 'small')] })));
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.refusal.code, 'RC_ERR_RESTORE_REFUSED');
    assert.match(result.refusal.message, /^disk: the image needs 314572800 bytes/);
    assert.deepEqual(diff.filter((d) => d.severity === 'refuse').map((d) => d.area), ['disk']);
  });

  test('a BIOS target for a UEFI-only image is refused; the same image with a BIOS boot partition is planned without a UEFI entry', () => {
    const bios = replacementProfile({ firmware: { mode: 'bios', vendor: 'SeaBIOS', version: '', date: '', secureBoot: null } });
    const config = capturedConfig();
    const table = config.partitionTable;
    assert.ok(table);
    const uefiOnly = { ...config, partitionTable: { ...table, partitions: table.partitions.map((p) => ({ ...p, attrs: '' })) } };
    const refused = planRecovery(imageFacts(), source({ config: uefiOnly }), onto(bios)).result;
    assert.ok(!refused.ok);
    assert.match(refused.refusal.message, /^firmware: the image boots only uefi/);
    const withBiosBoot = { ...uefiOnly, partitionTable: { ...uefiOnly.partitionTable, partitions: [...uefiOnly.partitionTable.partitions, { number: 3, start: 34, size: 2000, type: '21686148-6449-6E6F-744E-656564454649', uuid: 'C', name: 'bios', attrs: '', bootable: false }] } };
    const planned = planRecovery(imageFacts(), source({ config: withBiosBoot }), onto(bios)).result;
    assert.ok(planned.ok);
    assert.equal(planned.plan.personalise.uefiBootEntry, null);
  });

  test('no captured network configuration: the target boot NIC gets DHCP; no valid host name is refused', () => {
    const none = planRecovery(imageFacts(), source({ config: capturedConfig({ interfaces: [] }) }), onto(replacementProfile())).result;
    assert.ok(none.ok);
    assert.deepEqual(none.plan.personalise.nics, [{ mac: TARGET_BOOT, mode: 'dhcp', address: '', gateway: '', dns: [] }]);
    const nameless = planRecovery(imageFacts(), source({ config: capturedConfig({ hostname: '' }) }), onto(replacementProfile())).result;
    assert.ok(!nameless.ok);
    assert.equal(nameless.refusal.code, 'RC_ERR_PLAN_HOSTNAME');
  });
});
