import type { MachineProfile } from './machine-profile.js';

/** A hand-written profile shaped like a QEMU q35 VM's; for this folder's tests (the package does not export it). */
export function sampleProfile(): MachineProfile {
  return {
    schema: 1,
    detectedAt: '2025-01-31T10:00:00.000Z',
    system: {
      uuid: '5e2c6c3a-4d0f-4e8b-9a51-2f2b1d3c4e5f', serial: '', vendor: 'QEMU', model: 'Standard PC (Q35 + ICH9, 2009)',
      boardVendor: '', boardModel: '', boardSerial: '', chassisType: '1', chassisSerial: '', assetTag: '',
    },
    firmware: { mode: 'bios', vendor: 'SeaBIOS', version: '1.16.3-debian-1.16.3-2', date: '04/01/2014', secureBoot: null },
    cpu: { vendor: 'AuthenticAMD', model: 'QEMU Virtual CPU version 2.5+', architecture: 'x86_64', sockets: 1, cores: 1, threads: 1, mhz: 0 },
    memory: { totalBytes: 1_007_616_000 },
    disks: [{
      name: 'vda', sizeBytes: 2_147_483_648, logicalBlockSize: 512, physicalBlockSize: 512, rotational: true, removable: false, readOnly: false,
      model: '', vendor: '', serial: 'rackcast-disk-1', wwn: '', transport: 'virtio', sysfsPath: 'pci0000:00/0000:00:04.0/virtio1',
    }],
    nics: [{
      name: 'eth0', mac: '52:54:00:12:34:56', driver: 'virtio_net', speedMbps: null, carrier: true, operstate: 'up', mtu: 1500,
      sysfsPath: 'pci0000:00/0000:00:03.0/virtio0', addresses: ['10.77.0.100/24', 'fe80::5054:ff:fe12:3456/64'],
    }],
    problems: ['dmi: /sys/class/dmi/id is not there (no SMBIOS)'],
  };
}

