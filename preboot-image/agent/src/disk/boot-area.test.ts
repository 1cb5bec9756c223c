import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeployPlan, PlannedImage } from '@rackcast/wire';
import { bootArea, bootWipeRanges, GPT_BACKUP_BYTES, HEAD_BYTES } from './boot-area.js';

const MIB = 2 ** 20;

function plan(image: Partial<PlannedImage>): DeployPlan {
  return {
    schema: 1, image: { name: 'golden', version: 1, diskBytes: 512 * MIB, usedEndBytes: 470 * MIB, table: 'gpt', ...image },
    target: { serial: 's', wwn: '', sizeBytes: 1024 * MIB, model: '', nameHint: 'vda' }, untouched: [],
    layout: { resizePartition: 2, filesystem: 'ext4' },
    personalise: { rootPartition: 2, hostname: 'h', nics: [], newMachineId: true, removeSshHostKeys: true, uefiBootEntry: null },
  };
}

test('GPT on a bigger or equal disk: the first MiB and the image\'s backup GPT at its own end are written last', () => {
  const tail = { offset: 512 * MIB - GPT_BACKUP_BYTES, length: GPT_BACKUP_BYTES };
  assert.deepEqual(bootArea(plan({}), 1024 * MIB).deferred, [{ offset: 0, length: HEAD_BYTES }, tail]);
  assert.deepEqual(bootArea(plan({}), 512 * MIB).deferred, [{ offset: 0, length: HEAD_BYTES }, tail]);
  // The range covers a full 33-sector backup of 512-byte sectors: 32 entry sectors and the header.
  assert.ok(tail.length >= 33 * 512);
});

test('GPT on a smaller disk: the image\'s backup never lands on it, only the head is deferred', () => {
  assert.deepEqual(bootArea(plan({}), 480 * MIB).deferred, [{ offset: 0, length: HEAD_BYTES }]);
});

test('MBR and no table: only the first MiB', () => {
  assert.deepEqual(bootArea(plan({ table: 'mbr' }), 1024 * MIB).deferred, [{ offset: 0, length: HEAD_BYTES }]);
  assert.deepEqual(bootArea(plan({ table: 'none' }), 1024 * MIB).deferred, [{ offset: 0, length: HEAD_BYTES }]);
});

test('tiny images: ranges are clipped to the image and merged, never overlapping', () => {
  assert.deepEqual(bootArea(plan({ diskBytes: 64 * 1024, table: 'mbr' }), 1024 * MIB).deferred, [{ offset: 0, length: 64 * 1024 }]);
  assert.deepEqual(bootArea(plan({ diskBytes: MIB + 4096 }), 8 * MIB).deferred, [{ offset: 0, length: MIB + 4096 }]);
});

test('the wipe covers the first and the last MiB of the target, merged on small disks', () => {
  assert.deepEqual(bootWipeRanges(1024 * MIB), [{ offset: 0, length: MIB }, { offset: 1023 * MIB, length: MIB }]);
  assert.deepEqual(bootWipeRanges(MIB + 512), [{ offset: 0, length: MIB + 512 }]);
  assert.deepEqual(bootWipeRanges(4096), [{ offset: 0, length: 4096 }]);
});
