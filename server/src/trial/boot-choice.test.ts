import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseDiskBus, chooseFirmware, DISK_HEAD_BYTES } from './boot-choice.js';

const SECTOR = 512;
const ESP_GUID = '28732ac11ff8d211ba4b00a0c93ec93b';
const LINUX_GUID = 'af3dc60f838472478e793d69d8477de4';

/** A disk head with a protective MBR (boot code or not) and a GPT whose entries have these type GUIDs. */
function gptHead(bootCode: boolean, types: readonly string[]): Uint8Array {
  const head = Buffer.alloc(DISK_HEAD_BYTES);
  if (bootCode) head.fill(0x33, 0, 440);
  head[510] = 0x55;
  head[511] = 0xaa;
  head.write('EFI PART', SECTOR, 'latin1');
  head.writeBigUInt64LE(2n, SECTOR + 72);
  head.writeUInt32LE(128, SECTOR + 80);
  head.writeUInt32LE(128, SECTOR + 84);
  types.forEach((t, i) => Buffer.from(t, 'hex').copy(head, 2 * SECTOR + i * 128));
  return head;
}

test('the captured configuration decides first, then the source profile', () => {
  const head = gptHead(true, [ESP_GUID]);
  assert.deepEqual(chooseFirmware({ firmwareMode: 'uefi' }, { firmware: { mode: 'bios' } }, head), { value: 'uefi', reason: 'captured config' });
  assert.deepEqual(chooseFirmware(null, { firmware: { mode: 'uefi' } }, head), { value: 'uefi', reason: 'source profile' });
  assert.deepEqual(chooseFirmware({ firmwareMode: 'openfirmware' }, null, head), { value: 'bios', reason: 'MBR boot code' });
});

test('without facts, the disk decides: MBR boot code → BIOS, an ESP alone → UEFI, nothing → BIOS', () => {
  assert.equal(chooseFirmware(null, null, gptHead(true, [ESP_GUID, LINUX_GUID])).value, 'bios');
  assert.deepEqual(chooseFirmware(null, null, gptHead(false, [LINUX_GUID, ESP_GUID])), { value: 'uefi', reason: 'EFI System Partition without MBR boot code' });
  assert.equal(chooseFirmware(null, null, gptHead(false, [LINUX_GUID])).reason, 'no boot code found; BIOS by default');
  assert.equal(chooseFirmware(null, null, new Uint8Array(DISK_HEAD_BYTES)).value, 'bios');
  assert.equal(chooseFirmware(null, null, new Uint8Array(100)).value, 'bios', 'a tiny disk is not misread');
});

test('the disk bus follows the captured disk name; virtio when unknown', () => {
  assert.equal(chooseDiskBus({ disk: { path: '/dev/nvme0n1', sizeBytes: 1 } }).value, 'nvme');
  assert.equal(chooseDiskBus({ disk: { path: '/dev/sda', sizeBytes: 1 } }).value, 'sata');
  assert.equal(chooseDiskBus({ disk: { path: '/dev/vda', sizeBytes: 1 } }).value, 'virtio');
  assert.deepEqual(chooseDiskBus(null), { value: 'virtio', reason: 'default' });
});
