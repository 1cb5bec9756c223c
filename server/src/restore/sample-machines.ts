import type { CapturedConfig, DiskProfile, MachineProfile, NicProfile } from '@rackcast/wire';
import type { ImageFacts } from '../deploy/index.js';

/*
 * Made-up machines and a captured configuration for this folder's tests (not exported from the
 * package): a UEFI "web-07" with two NICs and a 512 MiB disk, captured with a static address
 * on its boot NIC, and its replacements.
 */

const MIB = 2 ** 20;
export const GIB = 2 ** 30;
export const SOURCE_BOOT = '52:54:00:0a:00:01';
export const SOURCE_SECOND = '52:54:00:0a:00:02';
export const TARGET_BOOT = '52:54:00:0b:00:01';
export const TARGET_SECOND = '52:54:00:0b:00:02';

export function nic(name: string, mac: string): NicProfile {
  return { name, mac, driver: 'virtio_net', speedMbps: null, carrier: true, operstate: 'up', mtu: 1500, sysfsPath: `pci/${name}`, addresses: [] };
}

export function disk(name: string, sizeBytes: number, serial: string): DiskProfile {
  return {
    name, sizeBytes, logicalBlockSize: 512, physicalBlockSize: 512, rotational: false, removable: false, readOnly: false,
    model: 'QEMU HARDDISK', vendor: '', serial, wwn: '', transport: 'virtio', sysfsPath: `pci/${name}`,
  };
}

/** A machine profile; `over` replaces whole sections. */
export function machineProfile(over: Partial<MachineProfile> = {}): MachineProfile {
  return {
    schema: 1, detectedAt: '2025-03-01T09:00:00.000Z',
    system: { uuid: '11111111-2222-3333-4444-555555555555', serial: 'SN-A', vendor: 'QEMU', model: 'Standard PC (Q35 + ICH9, 2009)', boardVendor: '', boardModel: '', boardSerial: '', chassisType: '1', chassisSerial: '', assetTag: '' },
    firmware: { mode: 'uefi', vendor: 'EDK II', version: '', date: '', secureBoot: false },
    cpu: { vendor: 'AuthenticAMD', model: 'QEMU Virtual CPU', architecture: 'x86_64', sockets: 1, cores: 2, threads: 2, mhz: 0 },
    memory: { totalBytes: 2 * GIB },
    disks: [disk('vda', 512 * MIB, 'disk-a')],
    nics: [nic('enp1s0', SOURCE_BOOT), nic('enp2s0', SOURCE_SECOND)],
    problems: [],
    ...over,
  };
}

/** The replacement: other MACs, another (larger) disk, another SMBIOS UUID. */
export function replacementProfile(over: Partial<MachineProfile> = {}): MachineProfile {
  const source = machineProfile();
  return machineProfile({
    system: { ...source.system, uuid: '99999999-2222-3333-4444-555555555555', serial: 'SN-B' },
    disks: [disk('vda', GIB, 'disk-b')],
    nics: [nic('enp1s0', TARGET_BOOT), nic('enp2s0', TARGET_SECOND)],
    ...over,
  });
}

/** web-07 as captured: static on its boot NIC (bound by MAC), DHCP on the second (ifupdown, by name). */
export function capturedConfig(over: Partial<CapturedConfig> = {}): CapturedConfig {
  return {
    schema: 1, capturedAt: '2025-03-01T09:15:00.000Z', hostname: 'web-07', firmwareMode: 'uefi',
    disk: { path: '/dev/vda', sizeBytes: 512 * MIB },
    partitionTable: {
      label: 'gpt', id: '8E6C7A52-0B1D-4F3E-9A2C-5D4B3A291807', sectorSize: 512, firstLba: 2048, lastLba: 1_048_542,
      partitions: [
        { number: 1, start: 2048, size: 131_072, type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', uuid: 'A', name: 'EFI System', attrs: 'LegacyBIOSBootable', bootable: false },
        { number: 2, start: 133_120, size: 915_423, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4', uuid: 'B', name: 'root', attrs: '', bootable: false },
      ],
    },
    filesystems: [],
    interfaces: [
      { name: 'enp1s0', mac: SOURCE_BOOT, source: 'systemd-networkd', dhcp4: false, dhcp6: false, addresses: ['10.0.0.7/24'], gateways: ['10.0.0.1'], dns: ['10.0.0.53'] },
      { name: 'enp2s0', mac: '', source: 'ifupdown', dhcp4: true, dhcp6: false, addresses: [], gateways: [], dns: [] },
    ],
    bootEntries: { current: '0003', order: ['0003'], entries: [{ number: '0003', label: 'debian', active: true, path: '' }] },
    problems: [],
    ...over,
  };
}

/** The image's facts: 512 MiB GPT, ESP then ext4 "root" to the end, 300 MiB used. */
export function imageFacts(over: Partial<ImageFacts> = {}): ImageFacts {
  return {
    name: 'web-07', version: 3, diskBytes: 512 * MIB, usedEndBytes: 300 * MIB, table: 'gpt',
    partitions: [
      { number: 1, startBytes: MIB, sizeBytes: 64 * MIB, kind: 'esp', type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', name: 'EFI System', filesystem: 'unknown', label: '' },
      { number: 2, startBytes: 65 * MIB, sizeBytes: 447 * MIB - 17 * 1024, kind: 'linux', type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4', name: 'root', filesystem: 'ext4', label: 'root' },
    ],
    sourceFirmware: 'uefi', notes: [],
    ...over,
  };
}
