import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiskError } from './disk-error.js';
import { editGptScript } from './gpt-scratch.js';
import { planPartitionFit } from './partition-fit.js';
import { parseSfdiskJson, partitionNumber, type PartitionTable } from './partition-table.js';

/** `sfdisk --json` of the golden image on a 1 GiB loop device (util-linux 2.38.1), before fitting. */
const GOLDEN_JSON = `{
   "partitiontable": {
      "label": "gpt",
      "id": "8E6C7A52-0B1D-4F3E-9A2C-5D4B3A291807",
      "device": "/dev/loop0",
      "unit": "sectors",
      "firstlba": 2048,
      "lastlba": 1048542,
      "sectorsize": 512,
      "partitions": [
         {
            "node": "/dev/loop0p1",
            "start": 2048,
            "size": 131072,
            "type": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
            "uuid": "2F1A9C3E-6B5D-4A7E-8C9F-0E1D2C3B4A51",
            "name": "EFI System",
            "attrs": "LegacyBIOSBootable"
         },{
            "node": "/dev/loop0p2",
            "start": 133120,
            "size": 913408,
            "type": "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
            "uuid": "7C3B1E5A-9D2F-4B6C-8E0A-1F2D3C4B5A69",
            "name": "root"
         }
      ]
   }
}`;

const GOLDEN = parseSfdiskJson(GOLDEN_JSON, '/dev/loop0');

/** An old Debian MBR layout: root primary, then swap as a logical partition in an extended one. */
const DEBIAN_MBR: PartitionTable = {
  label: 'dos', sectorSize: 512, lastLba: null,
  partitions: [
    { number: 1, start: 2048, size: 1000000, type: '83' },
    { number: 2, start: 1004542, size: 100000, type: '5' },
    { number: 5, start: 1004544, size: 99998, type: '82' },
  ],
};

function code(fn: () => unknown): string {
  try { fn(); } catch (err) { if (err instanceof DiskError) return err.code; throw err; }
  return 'none';
}

test('sfdisk JSON: label, sector size, last usable sector and partitions numbered from their nodes', () => {
  assert.deepEqual(GOLDEN, {
    label: 'gpt', sectorSize: 512, lastLba: 1048542,
    partitions: [{ number: 1, start: 2048, size: 131072, type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B' }, { number: 2, start: 133120, size: 913408, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4' }],
  });
  assert.equal(partitionNumber('/dev/nvme0n1p3', '/dev/nvme0n1'), 3);
  assert.equal(partitionNumber('/dev/sda12', '/dev/sda'), 12);
  assert.equal(partitionNumber('/tmp/x/table5', '/tmp/x/table'), 5);
  assert.equal(code(() => parseSfdiskJson('{"partitiontable":{"label":"sun","sectorsize":512}}', 'd')), 'RC_ERR_DISK_LAYOUT');
  assert.equal(code(() => parseSfdiskJson('not json', 'd')), 'RC_ERR_DISK_LAYOUT');
});

test('GPT onto 1 GiB: the last partition grows to the new last usable sector', () => {
  const fit = planPartitionFit(GOLDEN, 2, 2097119);
  assert.deepEqual(fit.resize, { number: 2, start: 133120, oldSize: 913408, newSize: 2097119 - 133120 });
  assert.equal(fit.container, null);
});

test('onto a smaller disk: the last partition shrinks; one that is not resized and no longer fits is refused', () => {
  assert.equal(planPartitionFit(GOLDEN, 2, 983007).resize?.newSize, 983007 - 133120);
  assert.equal(code(() => planPartitionFit(GOLDEN, null, 983007)), 'RC_ERR_DISK_TOO_SMALL');
  assert.equal(code(() => planPartitionFit(GOLDEN, 2, 133120)), 'RC_ERR_DISK_TOO_SMALL');
  assert.equal(code(() => planPartitionFit(GOLDEN, 2, 100000)), 'RC_ERR_DISK_TOO_SMALL');
});

test('a partition that is not the last keeps its size, with a note; a missing one is a layout error', () => {
  const fit = planPartitionFit(GOLDEN, 1, 2097119);
  assert.equal(fit.resize, null);
  assert.match(fit.notes.join(), /partition 1 is followed by partition 2/);
  assert.equal(code(() => planPartitionFit(GOLDEN, 3, 2097119)), 'RC_ERR_DISK_LAYOUT');
});

test('already at the end: nothing to change', () => {
  const fit = planPartitionFit(GOLDEN, 2, 1046528);
  assert.equal(fit.resize, null);
  assert.match(fit.notes.join(), /already ends/);
});

test('MBR: a logical last partition grows with its extended container; the primary before it cannot', () => {
  const fit = planPartitionFit(DEBIAN_MBR, 5, 2000000);
  assert.deepEqual(fit.resize, { number: 5, start: 1004544, oldSize: 99998, newSize: 2000000 - 1004544 });
  assert.deepEqual(fit.container, { number: 2, start: 1004542, oldSize: 100000, newSize: 2000000 - 1004542 });
  assert.equal(planPartitionFit(DEBIAN_MBR, 1, 2000000).resize, null);
});

test('the GPT dump for a smaller disk: no device or last-lba lines, the resized partition found by its start', () => {
  const dump = [
    'label: gpt', 'label-id: 8E6C7A52-0B1D-4F3E-9A2C-5D4B3A291807', 'device: /tmp/x/table', 'unit: sectors', 'first-lba: 2048', 'last-lba: 1048542', 'sector-size: 512', '',
    '/tmp/x/table1 : start=        2048, size=      131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=2F1A9C3E-6B5D-4A7E-8C9F-0E1D2C3B4A51, name="EFI System", attrs="LegacyBIOSBootable"',
    '/tmp/x/table2 : start=      133120, size=      913408, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=7C3B1E5A-9D2F-4B6C-8E0A-1F2D3C4B5A69, name="root"', '',
  ].join('\n');
  const edited = editGptScript(dump, { start: 133120, newSize: 849887 });
  assert.doesNotMatch(edited, /^(device|last-lba):/m);
  assert.match(edited, /^first-lba: 2048$/m);
  assert.match(edited, /table1 : start= {8}2048, size= {6}131072,/);
  assert.match(edited, /table2 : start= {6}133120, size=849887, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=7C3B1E5A-9D2F-4B6C-8E0A-1F2D3C4B5A69, name="root"$/m);
  assert.equal(editGptScript(dump, null), dump.split('\n').filter((l) => !/^(device|last-lba):/.test(l)).join('\n'));
  assert.equal(code(() => editGptScript(dump, { start: 4096, newSize: 1 })), 'RC_ERR_DISK_LAYOUT');
});
