import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import type { DeployPlan, DiskIdentity } from '@rackcast/wire';
import { checkDiskSafety } from './disk-safety.js';
import { DiskError } from './disk-error.js';

/*
 * Fake /proc and /sys trees laid out as the kernel lays them out (block devices as links into
 * /sys/devices, partitions as sub-folders with a `partition` file, holders folders, a loop
 * device's backing_file), one fresh tree per test, so each refusal is tested on files.
 */

type Entry = string | { link: string } | { dir: true };
const GIB = 2 ** 30;
const SATA = 'devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0';
const USB = 'devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host2/target2:0:0/2:0:0:0';
const NVME = 'devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0';
const SDA_WWN = 'naa.5002538e40a1b2c3';

function disk(dir: string, name: string, sectors: number, major: number, extra: Record<string, Entry> = {}): Record<string, Entry> {
  const base = `${dir}/${name}`;
  return {
    [`${base}/size`]: `${sectors}\n`, [`${base}/removable`]: '0\n', [`${base}/ro`]: '0\n', [`${base}/dev`]: `${major}:0\n`,
    [`${base}/queue/logical_block_size`]: '512\n', [`${base}/queue/physical_block_size`]: '4096\n', [`${base}/queue/rotational`]: '0\n',
    [`${base}/holders`]: { dir: true }, [`block/${name}`]: { link: `../${base}` }, ...extra,
  };
}

function partition(dir: string, disk: string, n: number, major: number, prefix = ''): Record<string, Entry> {
  const base = `${dir}/${disk}/${disk}${prefix}${n}`;
  return { [`${base}/partition`]: `${n}\n`, [`${base}/dev`]: `${major}:${n}\n`, [`${base}/size`]: '1000\n', [`${base}/holders`]: { dir: true }, [`class/block/${disk}${prefix}${n}`]: { link: `../../${base}` } };
}

const SYS: Record<string, Entry> = {
  ...disk(`${SATA}/block`, 'sda', 1875385008, 8, { [`${SATA}/block/sda/device`]: { link: '../..' } }),
  [`${SATA}/wwid`]: `${SDA_WWN}\n`, [`${SATA}/model`]: 'SAMSUNG MZ7LH960\n', [`${SATA}/vendor`]: 'ATA     \n',
  ...partition(`${SATA}/block`, 'sda', 1, 8), ...partition(`${SATA}/block`, 'sda', 2, 8), ...partition(`${SATA}/block`, 'sda', 3, 8),
  ...disk(`${USB}/block`, 'sdb', 60063744, 8, { [`${USB}/block/sdb/removable`]: '1\n', [`${USB}/block/sdb/device`]: { link: '../..' } }),
  [`${USB}/model`]: 'Cruzer Blade\n', [`${USB}/vendor`]: 'SanDisk \n', [`${USB}/serial`]: '4C530001231122115142\n',
  ...partition(`${USB}/block`, 'sdb', 1, 8),
  ...disk(NVME, 'nvme0n1', 7501476528, 259, { [`${NVME}/nvme0n1/wwid`]: 'eui.0025388b91b2c3d4\n', [`${NVME}/nvme0n1/device`]: { link: '..' } }),
  [`${NVME}/serial`]: 'S438NA0N123456\n', [`${NVME}/model`]: 'SAMSUNG MZQLB3T8HALS\n',
  ...partition(NVME, 'nvme0n1', 1, 259, 'p'),
  ...disk('devices/virtual/block', 'loop0', 2048, 7, { 'devices/virtual/block/loop0/loop/backing_file': '/srv/images/other.img\n' }),
  ...disk('devices/virtual/block', 'dm-0', 2048, 254, { 'devices/virtual/block/dm-0/dm/name': 'vg0-root\n' }),
};

const PROC: Record<string, Entry> = {
  'self/mountinfo': '22 1 0:21 / /proc rw shared:5 - proc proc rw\n25 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n',
  mounts: 'proc /proc proc rw 0 0\n/dev/nvme0n1p1 / ext4 rw,relatime 0 0\n',
  swaps: 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n',
};

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

async function writeTree(root: string, tree: Record<string, Entry>): Promise<void> {
  for (const [rel, entry] of Object.entries(tree)) {
    const path = join(root, rel);
    if (typeof entry === 'object' && 'dir' in entry) { await mkdir(path, { recursive: true }); continue; }
    await mkdir(dirname(path), { recursive: true });
    if (typeof entry === 'string') await writeFile(path, entry);
    else await symlink(entry.link, path);
  }
}

/** A fresh /proc and /sys, with changes for one test. */
async function roots(sys: Record<string, Entry> = {}, proc: Record<string, Entry> = {}): Promise<{ procRoot: string; sysRoot: string }> {
  const root = await mkdtemp(join(tmpdir(), 'rackcast-safety-'));
  dirs.push(root);
  await writeTree(join(root, 'sys'), { ...SYS, ...sys });
  await writeTree(join(root, 'proc'), { ...PROC, ...proc });
  return { procRoot: join(root, 'proc'), sysRoot: join(root, 'sys') };
}

function plan(target: Partial<DiskIdentity> = {}, usedEndBytes = 4 * GIB): DeployPlan {
  return {
    schema: 1, image: { name: 'web', version: 3, diskBytes: 8 * GIB, usedEndBytes, table: 'gpt' },
    target: { serial: '', wwn: SDA_WWN, sizeBytes: 1875385008 * 512, model: 'SAMSUNG MZ7LH960', nameHint: 'sda', ...target },
    untouched: [], layout: { resizePartition: 2, filesystem: 'ext4' },
    personalise: { rootPartition: 2, hostname: 'web-1', nics: [], newMachineId: true, removeSshHostKeys: true, uefiBootEntry: null },
  };
}

async function refused(p: Promise<void>, code: string, ...patterns: RegExp[]): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  assert.ok(err instanceof DiskError, `expected a refusal ${code}, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  for (const re of patterns) assert.match(err.message, re);
  assert.match(err.message, /Nothing was written/);
}

test('the planned disk, unused, big enough: allowed (the root file system is on another disk)', async () => {
  await checkDiskSafety('/dev/sda', plan(), await roots());
});

test('a mounted partition is refused, found by device number even when the source reads /dev/root', async () => {
  const o = await roots({}, { 'self/mountinfo': `${PROC['self/mountinfo'] as string}30 25 8:2 / /srv rw - xfs /dev/root rw\n`, mounts: 'proc /proc proc rw 0 0\n' });
  await refused(checkDiskSafety('/dev/sda', plan(), o), 'RC_ERR_DISK_MOUNTED', /\/dev\/sda is in use: sda2 mounted on \/srv/, /Unmount/);
});

test('a mount found only in /proc/mounts (no mountinfo) is refused too', async () => {
  const o = await roots({}, { 'self/mountinfo': '', mounts: '/dev/sda1 /boot/efi vfat rw 0 0\n' });
  await refused(checkDiskSafety('/dev/sda', plan(), o), 'RC_ERR_DISK_MOUNTED', /sda1 mounted on \/boot\/efi/);
});

test('active swap on a partition: RC_ERR_DISK_IN_USE', async () => {
  const o = await roots({}, { swaps: `${PROC['swaps'] as string}/dev/sda3                               partition\t8388604\t\t0\t\t-2\n` });
  await refused(checkDiskSafety('/dev/sda', plan(), o), 'RC_ERR_DISK_IN_USE', /sda3 active swap/);
});

test('a device-mapper holder of a partition (LVM) and an md holder of the disk: RC_ERR_DISK_IN_USE, named', async () => {
  const lvm = await roots({ [`${SATA}/block/sda/sda2/holders/dm-0`]: { link: '../../../../../../../../../../virtual/block/dm-0' } });
  await refused(checkDiskSafety('/dev/sda', plan(), lvm), 'RC_ERR_DISK_IN_USE', /sda2 held by dm-0 \(vg0-root\)/, /LVM/);
  const md = await roots({ [`${SATA}/block/sda/holders/md127`]: { dir: true } });
  await refused(checkDiskSafety('/dev/sda', plan(), md), 'RC_ERR_DISK_IN_USE', /sda held by md127/);
});

test('a loop device backed by the disk: RC_ERR_DISK_IN_USE', async () => {
  const o = await roots({ 'devices/virtual/block/loop0/loop/backing_file': '/dev/sda\n' });
  await refused(checkDiskSafety('/dev/sda', plan(), o), 'RC_ERR_DISK_IN_USE', /sda backs loop0/);
});

test('a removable disk the plan does not name is refused as removable, saying what the plan names', async () => {
  await refused(checkDiskSafety('/dev/sdb', plan(), await roots()), 'RC_ERR_DISK_REMOVABLE', /\/dev\/sdb is a removable disk \(sdb: serial 4C530001231122115142/, new RegExp(`target is wwn ${SDA_WWN}`));
});

test('a removable disk that is the planned one is allowed', async () => {
  const usb = plan({ wwn: '', serial: '4C530001231122115142', sizeBytes: 60063744 * 512, model: 'Cruzer Blade' }, GIB);
  await checkDiskSafety('/dev/sdb', usb, await roots());
});

test('another fixed disk than the planned one: RC_ERR_DISK_MISMATCH with expected and found', async () => {
  await refused(checkDiskSafety('/dev/nvme0n1', plan(), await roots()), 'RC_ERR_DISK_MISMATCH', /nvme0n1: wwn eui\.0025388b91b2c3d4/, new RegExp(`plan's target is wwn ${SDA_WWN}`));
});

test('too small for the used data: RC_ERR_DISK_TOO_SMALL saying by how much', async () => {
  const big = plan({}, 1875385008 * 512 + 3 * 2 ** 20);
  await refused(checkDiskSafety('/dev/sda', big, await roots()), 'RC_ERR_DISK_TOO_SMALL', /3145728 bytes \(3 MiB\) short/, /image web v3/);
});

test('read-only disk, a partition, an unknown name: refused', async () => {
  await refused(checkDiskSafety('/dev/sda', plan(), await roots({ [`${SATA}/block/sda/ro`]: '1\n' })), 'RC_ERR_DISK_UNUSABLE', /read-only/);
  await refused(checkDiskSafety('/dev/sda2', plan(), await roots()), 'RC_ERR_DISK_UNUSABLE', /is a partition/);
  await refused(checkDiskSafety('/dev/sdz', plan(), await roots()), 'RC_ERR_DISK_NOT_FOUND', /no \/sys\/block\/sdz/);
});

test('a disk image file: checked for room and loop use', async () => {
  const o = await roots();
  const file = join(dirname(o.sysRoot), 'disk.img');
  await truncate(file, 0).catch(() => writeFile(file, ''));
  await truncate(file, 4 * GIB);
  await checkDiskSafety(file, plan(), o);
  await refused(checkDiskSafety(file, plan({}, 5 * GIB), o), 'RC_ERR_DISK_TOO_SMALL', /1073741824 bytes \(1024 MiB\) short/);
  await writeFile(join(o.sysRoot, 'devices/virtual/block/loop0/loop/backing_file'), `${file}\n`);
  await refused(checkDiskSafety(file, plan(), o), 'RC_ERR_DISK_IN_USE', /backs loop0/);
});
