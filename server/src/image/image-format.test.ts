import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectContainer, recogniseRawDisk, SNIFF_LENGTH } from './image-format.js';

function headWith(offset: number, bytes: Buffer | number[]): Buffer {
  const head = Buffer.alloc(SNIFF_LENGTH);
  Buffer.from(bytes).copy(head, offset);
  return head;
}

test('container formats are recognised by their magic', () => {
  assert.equal(detectContainer(headWith(0, [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3])), 'qcow2');
  assert.equal(detectContainer(headWith(0, Buffer.from('KDMV'))), 'vmdk');
  assert.equal(detectContainer(headWith(64, [0x7f, 0x10, 0xda, 0xbe])), 'vdi');
  assert.equal(detectContainer(headWith(0, Buffer.from('vhdxfile'))), 'vhdx');
  assert.equal(detectContainer(headWith(0, Buffer.from('conectix'))), 'vpc');
  assert.equal(detectContainer(headWith(510, [0x55, 0xaa])), null);
});

test('raw disks are recognised by partition table or filesystem; other files are not', () => {
  assert.equal(recogniseRawDisk(headWith(510, [0x55, 0xaa])), 'MBR/boot sector');
  assert.equal(recogniseRawDisk(headWith(0x438, [0x53, 0xef])), 'ext2/3/4');
  assert.equal(recogniseRawDisk(headWith(0, Buffer.from('XFSB'))), 'XFS');
  assert.equal(recogniseRawDisk(headWith(0, Buffer.from('hello, this is a text file\n'))), null);
  assert.equal(recogniseRawDisk(Buffer.alloc(SNIFF_LENGTH)), null, 'all zeros is no disk');
  assert.equal(recogniseRawDisk(Buffer.alloc(100)), null, 'short input is handled');
});
