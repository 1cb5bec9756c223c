import type { CapturedConfig } from './captured-config.js';

/** A hand-written configuration shaped like a capture of the golden test image on a UEFI VM; for this folder's tests. */
export const SAMPLE_CAPTURED_CONFIG: CapturedConfig = {
  schema: 1,
  capturedAt: '2025-02-03T08:15:00.000Z',
  hostname: 'golden',
  firmwareMode: 'uefi',
  disk: { path: '/dev/vda', sizeBytes: 536_870_912 },
  partitionTable: {
    label: 'gpt', id: '8E6C7A52-0B1D-4F3E-9A2C-5D4B3A291807', sectorSize: 512, firstLba: 2048, lastLba: 1_048_542,
    partitions: [
      { number: 1, start: 2048, size: 131_072, type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', uuid: '2F1A9C3E-6B5D-4A7E-8C9F-0E1D2C3B4A51', name: 'EFI System', attrs: 'LegacyBIOSBootable', bootable: false },
      { number: 2, start: 133_120, size: 913_408, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4', uuid: '7C3B1E5A-9D2F-4B6C-8E0A-1F2D3C4B5A69', name: 'root', attrs: '', bootable: false },
    ],
  },
  filesystems: [
    { partition: 1, offset: 1_048_576, size: 67_108_864, type: 'vfat', uuid: '1234-ABCD', label: 'ESP', method: 'partclone', usedBytes: 12_154_368 },
    { partition: 2, offset: 68_157_440, size: 467_664_896, type: 'ext4', uuid: '4d2c1b0a-8f7e-4d6c-9b5a-3e2f1a0b9c87', label: 'root', method: 'partclone', usedBytes: 28_499_968 },
  ],
  interfaces: [
    { name: 'eth0', mac: '', source: 'ifupdown', dhcp4: false, dhcp6: false, addresses: ['10.0.0.5/24'], gateways: ['10.0.0.1'], dns: ['10.0.0.53'] },
    { name: 'lan1', mac: '52:54:00:12:34:56', source: 'systemd-networkd', dhcp4: true, dhcp6: false, addresses: [], gateways: [], dns: [] },
  ],
  bootEntries: {
    current: '0003', order: ['0003', '0001'],
    entries: [
      { number: '0001', label: 'UEFI PXEv4', active: true, path: 'PciRoot(0x0)/Pci(0x3,0x0)/MAC(525400123456,1)/IPv4(0.0.0.0,0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)' },
      { number: '0003', label: 'debian', active: true, path: 'HD(1,GPT,2f1a9c3e-6b5d-4a7e-8c9f-0e1d2c3b4a51,0x800,0x20000)/File(\\EFI\\debian\\shimx64.efi)' },
    ],
  },
  problems: [],
};
