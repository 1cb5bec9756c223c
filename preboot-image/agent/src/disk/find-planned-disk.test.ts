import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DiskIdentity, DiskProfile } from '@rackcast/wire';
import { DiskError } from './disk-error.js';
import { findPlannedDisk } from './find-planned-disk.js';

const GIB = 2 ** 30;

function disk(name: string, over: Partial<DiskProfile>): DiskProfile {
  return {
    name, sizeBytes: 960 * GIB, logicalBlockSize: 512, physicalBlockSize: 4096, rotational: false, removable: false, readOnly: false,
    model: 'SAMSUNG MZ7LH960', vendor: 'ATA', serial: '', wwn: '', transport: 'sata', sysfsPath: `pci0000:00/${name}`, ...over,
  };
}

const SDA = disk('sda', { serial: 'S45NNE0M123456', wwn: 'naa.5002538e40a1b2c3' });
const SDB = disk('sdb', { serial: 'S45NNE0M999999', wwn: 'naa.5002538e40ffffff' });
const NVME = disk('nvme0n1', { serial: 'S438NA0N123456', wwn: 'eui.0025388b91b2c3d4', sizeBytes: 3840 * GIB, model: 'SAMSUNG MZQLB3T8HALS' });
const VDA = disk('vda', { sizeBytes: GIB, model: '', transport: 'virtio' });
const DISKS = [SDA, SDB, NVME, VDA];

function target(over: Partial<DiskIdentity>): DiskIdentity {
  return { serial: '', wwn: '', sizeBytes: 960 * GIB, model: '', nameHint: 'sdq', ...over };
}

function refusal(fn: () => unknown, code: string): DiskError {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  assert.ok(caught instanceof DiskError, `expected a DiskError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.transient, false);
  return caught;
}

test('matches by WWN when the plan has one, whatever the kernel name and even when the serial differs', () => {
  // nameHint "sdq" is wrong on purpose: kernel names never decide.
  assert.equal(findPlannedDisk(target({ wwn: 'NAA.5002538E40A1B2C3', serial: 'other' }), DISKS), SDA);
  assert.equal(findPlannedDisk(target({ wwn: 'eui.0025388b91b2c3d4', sizeBytes: 3840 * GIB }), DISKS), NVME);
});

test('matches by serial when the plan has no WWN', () => {
  assert.equal(findPlannedDisk(target({ serial: 'S45NNE0M999999' }), DISKS), SDB);
});

test('a plan without WWN or serial matches the one disk of that model and size', () => {
  assert.equal(findPlannedDisk(target({ sizeBytes: GIB }), DISKS), VDA);
});

test('not found: RC_ERR_DISK_NOT_FOUND names what was expected and lists what was found', () => {
  const err = refusal(() => findPlannedDisk(target({ wwn: 'naa.5000c500deadbeef', model: 'ST4000NM' }), DISKS), 'RC_ERR_DISK_NOT_FOUND');
  assert.match(err.message, /wwn naa\.5000c500deadbeef/);
  assert.match(err.message, /was sdq when planned/);
  for (const d of DISKS) assert.match(err.message, new RegExp(`${d.name}: `));
  assert.match(err.message, /naa\.5002538e40a1b2c3/);
  refusal(() => findPlannedDisk(target({ serial: 'X' }), []), 'RC_ERR_DISK_NOT_FOUND');
});

test('same identity, other size: RC_ERR_DISK_MISMATCH with both sizes', () => {
  const err = refusal(() => findPlannedDisk(target({ serial: 'S45NNE0M123456', sizeBytes: 480 * GIB }), DISKS), 'RC_ERR_DISK_MISMATCH');
  assert.match(err.message, new RegExp(`${480 * GIB} bytes`));
  assert.match(err.message, new RegExp(`sda: .*${960 * GIB} bytes`));
});

test('an identity on two disks (multipath, cloned serials) is refused, never guessed', () => {
  const twin = disk('sdc', { serial: 'S45NNE0M123456', wwn: 'naa.5002538e40a1b2c3' });
  const err = refusal(() => findPlannedDisk(target({ wwn: 'naa.5002538e40a1b2c3' }), [...DISKS, twin]), 'RC_ERR_DISK_MISMATCH');
  assert.match(err.message, /matches 2 disks: sda: .*; sdc: /);
  refusal(() => findPlannedDisk(target({ sizeBytes: GIB }), [...DISKS, disk('vdb', { sizeBytes: GIB, model: '' })]), 'RC_ERR_DISK_MISMATCH');
});
