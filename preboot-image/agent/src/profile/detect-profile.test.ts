import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DiskProfile, NicProfile } from '@rackcast/wire';
import { detectProfile } from './detect-profile.js';
import type { HardwareInfo } from './hardware-info.js';

/*
 * A fake sysfs laid out like a real server's (paths and values follow a Supermicro board with a
 * SATA SSD, an NVMe drive, a USB stick and an Intel NIC, plus the virtual devices detection must
 * skip), so the parsing is tested on files and symlinks rather than on mocks of fs calls.
 */

type Entry = string | Uint8Array | { link: string };

const SATA = 'devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0';
const NVME = 'devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0';
const USB = 'devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host2/target2:0:0/2:0:0:0';
const VIRTIO = 'devices/pci0000:00/0000:00:04.0/virtio1';
const NIC = 'devices/pci0000:00/0000:00:1f.6';
const NIC2 = 'devices/pci0000:00/0000:00:1c.0/0000:02:00.0';

/** SCSI VPD page 83h: a T10 vendor id, then an NAA designator (association 0), then a target-port NAA (association 1). */
const VPD83 = new Uint8Array([
  0x00, 0x83, 0x00, 0x24,
  0x02, 0x01, 0x00, 0x08, ...Buffer.from('ATA     '),
  0x01, 0x03, 0x00, 0x08, 0x50, 0x02, 0x53, 0x8e, 0x40, 0xa1, 0xb2, 0xc3,
  0x61, 0x93, 0x00, 0x08, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
]);
const VPD80 = new Uint8Array([0x00, 0x80, 0x00, 0x10, ...Buffer.from('  S45NNE0M123456')]);

function blockFiles(dir: string, sectors: number, extra: Record<string, Entry> = {}): Record<string, Entry> {
  return {
    [`${dir}/size`]: `${sectors}\n`, [`${dir}/removable`]: '0\n', [`${dir}/ro`]: '0\n',
    [`${dir}/queue/logical_block_size`]: '512\n', [`${dir}/queue/physical_block_size`]: '4096\n', [`${dir}/queue/rotational`]: '0\n',
    ...extra,
  };
}

const TREE: Record<string, Entry> = {
  'class/dmi/id/product_uuid': 'EC2A1B3C-0000-1111-2222-AC1F6B123456\n',
  'class/dmi/id/product_serial': 'To Be Filled By O.E.M.\n',
  'class/dmi/id/sys_vendor': 'Supermicro\n',
  'class/dmi/id/product_name': 'SYS-1029P-WTR\n',
  'class/dmi/id/board_vendor': 'Supermicro\n',
  'class/dmi/id/board_name': 'X11DDW-L\n',
  'class/dmi/id/board_serial': 'ZM19AS012345\n',
  'class/dmi/id/chassis_type': '17\n',
  'class/dmi/id/chassis_serial': 'C1160LI11A12345\0\0\n',
  'class/dmi/id/chassis_asset_tag': 'Default string\n',
  'class/dmi/id/bios_vendor': 'American Megatrends Inc.\n',
  'class/dmi/id/bios_version': '3.4\n',
  'class/dmi/id/bios_date': '10/29/2020\n',
  'firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c': new Uint8Array([6, 0, 0, 0, 1]),
  // SATA SSD: identity only through VPD pages (no wwid attribute on this kernel).
  ...blockFiles(`${SATA}/block/sda`, 1875385008, { [`${SATA}/block/sda/device`]: { link: '../..' } }),
  [`${SATA}/model`]: 'SAMSUNG MZ7LH960\n', [`${SATA}/vendor`]: 'ATA     \n', [`${SATA}/vpd_pg80`]: VPD80, [`${SATA}/vpd_pg83`]: VPD83,
  'block/sda': { link: `../${SATA}/block/sda` },
  // NVMe: namespace below its controller; model and serial on the controller, wwid on the namespace.
  ...blockFiles(`${NVME}/nvme0n1`, 7501476528, { [`${NVME}/nvme0n1/wwid`]: 'eui.0025388b91b2c3d4\n', [`${NVME}/nvme0n1/device`]: { link: '..' } }),
  [`${NVME}/model`]: 'SAMSUNG MZQLB3T8HALS-00007              \n', [`${NVME}/serial`]: 'S438NA0N123456      \n',
  'block/nvme0n1': { link: `../${NVME}/nvme0n1` },
  // USB stick: removable, and a rotational flag of 1 that the kernel guesses for USB.
  ...blockFiles(`${USB}/block/sdb`, 60063744, { [`${USB}/block/sdb/removable`]: '1\n', [`${USB}/block/sdb/queue/rotational`]: '1\n', [`${USB}/block/sdb/device`]: { link: '../..' } }),
  [`${USB}/model`]: 'Cruzer Blade    \n', [`${USB}/vendor`]: 'SanDisk \n',
  'block/sdb': { link: `../${USB}/block/sdb` },
  // virtio: a serial attribute of its own; the device's `vendor` is a PCI id, not a name.
  ...blockFiles(`${VIRTIO}/block/vda`, 4194304, { [`${VIRTIO}/block/vda/serial`]: 'rackcast-disk-1\n', [`${VIRTIO}/block/vda/device`]: { link: '../..' } }),
  [`${VIRTIO}/vendor`]: '0x1af4\n',
  'block/vda': { link: `../${VIRTIO}/block/vda` },
  // Skipped: a loop device, an optical drive, an empty card reader.
  ...blockFiles('devices/virtual/block/loop0', 2048),
  'block/loop0': { link: '../devices/virtual/block/loop0' },
  ...blockFiles(`${SATA}/../../target0:0:1/0:0:1:0/block/sr0`, 2097151),
  'block/sr0': { link: `../${SATA}/../../target0:0:1/0:0:1:0/block/sr0` },
  ...blockFiles(`${USB}/block/sdc`, 0),
  'block/sdc': { link: `../${USB}/block/sdc` },
  // NICs: one up at 1 Gbit/s, one down (speed and carrier unreadable), and virtual ones.
  [`${NIC}/net/eno1/address`]: 'AC:1F:6B:12:34:56\n', [`${NIC}/net/eno1/speed`]: '1000\n', [`${NIC}/net/eno1/carrier`]: '1\n',
  [`${NIC}/net/eno1/operstate`]: 'up\n', [`${NIC}/net/eno1/mtu`]: '1500\n', [`${NIC}/net/eno1/device`]: { link: '../../../0000:00:1f.6' },
  [`${NIC}/driver`]: { link: '../../../bus/pci/drivers/e1000e' },
  'class/net/eno1': { link: `../../${NIC}/net/eno1` },
  [`${NIC2}/net/enp2s0/address`]: 'ac:1f:6b:12:34:57\n', [`${NIC2}/net/enp2s0/operstate`]: 'down\n', [`${NIC2}/net/enp2s0/mtu`]: '9000\n',
  [`${NIC2}/net/enp2s0/device`]: { link: '../../../0000:02:00.0' }, [`${NIC2}/driver`]: { link: '../../../../bus/pci/drivers/ixgbe' },
  'class/net/enp2s0': { link: `../../${NIC2}/net/enp2s0` },
  'devices/virtual/net/lo/address': '00:00:00:00:00:00\n', 'class/net/lo': { link: '../../devices/virtual/net/lo' },
  'devices/virtual/net/br0/address': 'de:ad:be:ef:00:01\n', 'class/net/br0': { link: '../../devices/virtual/net/br0' },
  // Two sockets: cpu0 and cpu1 are hyper-threads of one core, cpu2 and cpu3 two cores of socket 1.
  ...Object.fromEntries([[0, 0], [0, 0], [1, 0], [1, 1]].flatMap(([pkg, core], i) => [
    [`devices/system/cpu/cpu${i}/topology/physical_package_id`, `${pkg}\n`], [`devices/system/cpu/cpu${i}/topology/core_id`, `${core}\n`],
  ])),
  'devices/system/cpu/cpufreq/policy0/scaling_governor': 'performance\n',
};

async function writeTree(root: string, tree: Record<string, Entry>): Promise<void> {
  for (const [rel, entry] of Object.entries(tree)) {
    const path = join(root, rel);
    await mkdir(dirname(path), { recursive: true });
    if (typeof entry === 'object' && 'link' in entry) await symlink(entry.link, path);
    else await writeFile(path, entry);
  }
}

const ADDRESSES: Record<string, string[]> = { eno1: ['10.0.0.23/24', 'FE80::AE1F:6BFF:FE12:3456/64'] };
const noInfo = { info: null, addresses: (name: string) => ADDRESSES[name] ?? [] } as const;

describe('detectProfile on a fake sysfs tree', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'rackcast-sysfs-'));
    await writeTree(root, TREE);
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('system identity and firmware come from DMI and efivars; placeholders are blanked', async () => {
    const p = await detectProfile({ sysfsRoot: root, ...noInfo });
    assert.deepEqual(p.system, {
      uuid: 'ec2a1b3c-0000-1111-2222-ac1f6b123456', serial: '', vendor: 'Supermicro', model: 'SYS-1029P-WTR',
      boardVendor: 'Supermicro', boardModel: 'X11DDW-L', boardSerial: 'ZM19AS012345', chassisType: '17', chassisSerial: 'C1160LI11A12345', assetTag: '',
    });
    assert.deepEqual(p.firmware, { mode: 'uefi', vendor: 'American Megatrends Inc.', version: '3.4', date: '10/29/2020', secureBoot: true });
    assert.deepEqual(p.problems, []);
  });

  test('disks: size, block sizes, model, serial and WWN per transport; virtual, optical and empty devices left out', async () => {
    const p = await detectProfile({ sysfsRoot: root, ...noInfo });
    const common = { logicalBlockSize: 512, physicalBlockSize: 4096, rotational: false, removable: false, readOnly: false };
    const expected: DiskProfile[] = [
      { name: 'nvme0n1', sizeBytes: 7501476528 * 512, ...common, model: 'SAMSUNG MZQLB3T8HALS-00007', vendor: '', serial: 'S438NA0N123456',
        wwn: 'eui.0025388b91b2c3d4', transport: 'nvme', sysfsPath: 'pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0' },
      { name: 'sda', sizeBytes: 1875385008 * 512, ...common, model: 'SAMSUNG MZ7LH960', vendor: 'ATA', serial: 'S45NNE0M123456',
        wwn: 'naa.5002538e40a1b2c3', transport: 'sata', sysfsPath: SATA.slice('devices/'.length) },
      { name: 'sdb', sizeBytes: 60063744 * 512, ...common, rotational: true, removable: true, model: 'Cruzer Blade', vendor: 'SanDisk', serial: '',
        wwn: '', transport: 'usb', sysfsPath: USB.slice('devices/'.length) },
      { name: 'vda', sizeBytes: 4194304 * 512, ...common, model: '', vendor: '', serial: 'rackcast-disk-1', wwn: '', transport: 'virtio',
        sysfsPath: VIRTIO.slice('devices/'.length) },
    ];
    assert.deepEqual(p.disks, expected);
  });

  test('NICs: MAC, driver, speed, carrier and addresses; a down link has no speed or carrier; virtual interfaces left out', async () => {
    const p = await detectProfile({ sysfsRoot: root, ...noInfo });
    const expected: NicProfile[] = [
      { name: 'eno1', mac: 'ac:1f:6b:12:34:56', driver: 'e1000e', speedMbps: 1000, carrier: true, operstate: 'up', mtu: 1500,
        sysfsPath: 'pci0000:00/0000:00:1f.6', addresses: ['10.0.0.23/24', 'fe80::ae1f:6bff:fe12:3456/64'] },
      { name: 'enp2s0', mac: 'ac:1f:6b:12:34:57', driver: 'ixgbe', speedMbps: null, carrier: null, operstate: 'down', mtu: 9000,
        sysfsPath: 'pci0000:00/0000:00:1c.0/0000:02:00.0', addresses: [] },
    ];
    assert.deepEqual(p.nics, expected);
  });

  test('without systeminformation, CPU counts come from the kernel topology', async () => {
    const p = await detectProfile({ sysfsRoot: root, ...noInfo });
    assert.deepEqual([p.cpu.sockets, p.cpu.cores, p.cpu.threads], [2, 3, 4]);
  });

  test('systeminformation fills what sysfs lacks, and its CPU counts and memory win', async () => {
    const info: HardwareInfo = {
      cpu: async () => ({ manufacturer: 'Intel', brand: 'Xeon Gold 6230', vendor: 'GenuineIntel', speed: 2.1, cores: 80, physicalCores: 40, processors: 2 }),
      mem: async () => ({ total: 412316860416 }),
      blockDevices: async () => [{ name: 'sdb', type: 'disk', model: 'ignored', serial: '4C530001231122115172', protocol: 'usb' }],
      system: async () => ({ manufacturer: 'ignored', model: 'ignored', serial: 'SMC-SERIAL-1', uuid: '' }),
      bios: async () => ({ vendor: 'ignored', version: 'ignored', releaseDate: 'ignored' }),
    };
    const p = await detectProfile({ sysfsRoot: root, info, addresses: noInfo.addresses });
    assert.deepEqual({ ...p.cpu, model: '', architecture: '' }, { vendor: 'GenuineIntel', model: '', architecture: '', sockets: 2, cores: 40, threads: 80, mhz: 2100 });
    assert.equal(p.memory.totalBytes, 412316860416);
    assert.equal(p.disks.find((d) => d.name === 'sdb')?.serial, '4C530001231122115172');
    assert.equal(p.disks.find((d) => d.name === 'sdb')?.model, 'Cruzer Blade', 'sysfs keeps its own values');
    assert.equal(p.system.serial, 'SMC-SERIAL-1', 'the DMI placeholder serial was filled in');
    assert.equal(p.system.vendor, 'Supermicro');
    assert.equal(p.firmware.vendor, 'American Megatrends Inc.');
  });

  test('a probe that hangs or throws leaves its fields empty and says so; the profile still comes back', async () => {
    const never = new Promise<never>(() => undefined);
    const info: HardwareInfo = {
      cpu: () => never, mem: () => Promise.reject(new Error('lsmem exploded')),
      blockDevices: async () => [], system: async () => { throw new Error('dmidecode: /dev/mem: Permission denied'); }, bios: () => never,
    };
    const p = await detectProfile({ sysfsRoot: root, info, addresses: noInfo.addresses, probeTimeoutMs: 200 });
    assert.deepEqual([...p.problems].sort(), [
      'systeminformation bios: timed out after 200 ms',
      'systeminformation cpu: timed out after 200 ms',
      'systeminformation mem: lsmem exploded',
      'systeminformation system: dmidecode: /dev/mem: Permission denied',
    ]);
    assert.deepEqual([p.cpu.sockets, p.cpu.cores, p.cpu.threads], [2, 3, 4], 'the kernel topology stands in');
    assert.ok(p.memory.totalBytes > 0, 'os.totalmem() stands in');
    assert.equal(p.disks.length, 4);
  });

  test('an empty sysfs gives an empty but valid profile with the reasons', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'rackcast-sysfs-empty-'));
    try {
      await mkdir(join(empty, 'firmware/acpi'), { recursive: true });
      const p = await detectProfile({ sysfsRoot: empty, ...noInfo });
      assert.equal(p.firmware.mode, 'bios', 'a sysfs with firmware/ but no firmware/efi means BIOS');
      assert.deepEqual([p.disks, p.nics, p.system.uuid], [[], [], '']);
      assert.match(p.problems[0] ?? '', /^dmi: .*class\/dmi\/id is not there/);
      const none = await detectProfile({ sysfsRoot: join(empty, 'absent'), ...noInfo });
      assert.equal(none.firmware.mode, 'unknown', 'no sysfs at all: nothing is known');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
