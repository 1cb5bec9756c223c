import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeExt4Superblock, e2fsTarget } from './ext4-superblock.js';
import { decodeGptHeader, lastUsableLba } from './gpt-header.js';

function superblock(fields: { blocksLo: number; blocksHi?: number; logBlockSize: number; incompat: number; state: number; label: string }): Uint8Array {
  const b = Buffer.alloc(1024);
  b.writeUInt32LE(fields.blocksLo, 0x4);
  b.writeUInt32LE(fields.logBlockSize, 0x18);
  b.writeUInt16LE(0xef53, 0x38);
  b.writeUInt16LE(fields.state, 0x3a);
  b.writeUInt32LE(fields.incompat, 0x60);
  b.write(fields.label, 0x78, 'latin1');
  b.writeUInt32LE(fields.blocksHi ?? 0, 0x150);
  return b;
}

test('ext4 superblock: block size, 64-bit block count, journal recovery and clean flags, label', () => {
  // The golden image's root: 114176 blocks of 4 KiB, features incl. 64bit (0x80) and extents (0x40), clean.
  assert.deepEqual(decodeExt4Superblock(superblock({ blocksLo: 114176, logBlockSize: 2, incompat: 0x2c2, state: 1, label: 'root' })),
    { blockSize: 4096, blocks: 114176, needsRecovery: false, clean: true, label: 'root' });
  const big = decodeExt4Superblock(superblock({ blocksLo: 5, blocksHi: 2, logBlockSize: 2, incompat: 0x80 | 0x4, state: 0, label: '' }));
  assert.equal(big?.blocks, 2 * 2 ** 32 + 5);
  assert.equal(big?.needsRecovery, true);
  assert.equal(big?.clean, false);
  // Without the 64bit feature the high word is not part of the count.
  assert.equal(decodeExt4Superblock(superblock({ blocksLo: 7, blocksHi: 9, logBlockSize: 0, incompat: 0, state: 1, label: '' }))?.blocks, 7);
  assert.equal(decodeExt4Superblock(Buffer.alloc(1024)), null);
  assert.equal(decodeExt4Superblock(Buffer.alloc(10)), null);
});

test('GPT header: usable range and entries; the last usable sector on another disk size', () => {
  const h = Buffer.alloc(512);
  h.write('EFI PART', 0, 'latin1');
  h.writeBigUInt64LE(1n, 24);
  h.writeBigUInt64LE(1048575n, 32);
  h.writeBigUInt64LE(2048n, 40);
  h.writeBigUInt64LE(1048542n, 48);
  h.writeBigUInt64LE(2n, 72);
  h.writeUInt32LE(128, 80);
  h.writeUInt32LE(128, 84);
  const header = decodeGptHeader(h);
  assert.deepEqual(header, { myLba: 1, alternateLba: 1048575, firstUsableLba: 2048, lastUsableLba: 1048542, entriesLba: 2, entryCount: 128, entrySize: 128 });
  assert.ok(header);
  assert.equal(lastUsableLba(header, 512, 1048576), 1048542, 'what sfdisk wrote on the image');
  assert.equal(lastUsableLba(header, 512, 2097152), 2097118, 'what sfdisk --relocate writes on 1 GiB');
  assert.equal(lastUsableLba(header, 4096, 262144), 262144 - 6);
  assert.equal(decodeGptHeader(Buffer.alloc(512)), null);
});

test('e2fsprogs reach a partition by "?offset="', () => {
  assert.equal(e2fsTarget('/dev/sda', 68157440), '/dev/sda?offset=68157440');
  assert.equal(e2fsTarget('/dev/sda', 0), '/dev/sda');
});
