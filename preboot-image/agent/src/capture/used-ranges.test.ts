import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planBlocks, mergeRanges, subtractRanges } from './block-plan.js';
import { parseDomainMap } from './domain-map.js';
import { parseDumpe2fs } from './ext-bitmap.js';
import { parseBlkidExport } from './filesystem-probe.js';

const KIB = 1024;

/** `partclone.fat -D` of the golden image's ESP (partclone 0.3.23), as written. */
const FAT_DOMAIN = `# Domain logfile created by unset_name v0.3.23
# Source: p1.img
# Offset: 0x00000000
# current_pos  current_status
0x04000000     ?
#      pos        size  status
0x00000000  0x00B97600  +
0x00B97600  0x03468A00  ?
`;

/** `partclone.extfs -D --offset_domain=68157440` of the golden root file system. */
const EXT_DOMAIN = `# Domain logfile created by unset_name v0.3.23
# Source: p2.img
# Offset: 0x04100000
# current_pos  current_status
0x1FF00000     ?
#      pos        size  status
0x04100000  0x00ABC000  +
0x04BBC000  0x07544000  ?
0x0C100000  0x00039000  +
0x0C139000  0x07FC7000  ?
0x14100000  0x01000000  +
0x15100000  0x07000000  ?
0x1C100000  0x00039000  +
0x1C139000  0x03DC7000  ?
`;

/** `dumpe2fs` of an 8 MiB ext2 file system with 1 KiB blocks (block 0 is the boot block; data starts at block 1). */
const DUMPE2FS_1K = `dumpe2fs 1.47.0 (5-Feb-2023)
Filesystem volume name:   <none>
Block count:              8192
Free blocks:              7630
First block:              1
Block size:               1024

Group 0: (Blocks 1-8191)
  Primary superblock at 1, Group descriptors at 2-2
  Free blocks: 562-8191
  Free inodes: 12-2048
`;

/** The golden root's groups, with an uninitialised group and a group with no free block. */
const DUMPE2FS_GOLDEN = `Block count:              114176
Block size:               4096
Group 0: (Blocks 0-32767) csum 0xb8de
  Free blocks: 2748-32767
Group 1: (Blocks 32768-65535) csum 0x2dea [INODE_UNINIT, BLOCK_UNINIT]
  Free blocks: 32825-65535
Group 2: (Blocks 65536-98303) csum 0x9c81 [INODE_UNINIT]
  Free blocks: 69632-98303
Group 3: (Blocks 98304-114175) csum 0x40d4 [INODE_UNINIT]
  Free blocks: 98361-100000, 100002-114175
Group 4: (Blocks 114176-114176)
  Free blocks: 
`;

describe('parseDomainMap', () => {
  test('used ("+") areas of a real partclone map, in bytes', () => {
    assert.deepStrictEqual(parseDomainMap(FAT_DOMAIN), [{ offset: 0, length: 0xb97600 }]);
    assert.deepStrictEqual(parseDomainMap(EXT_DOMAIN), [
      { offset: 0x04100000, length: 0xabc000 }, { offset: 0x0c100000, length: 0x39000 },
      { offset: 0x14100000, length: 0x1000000 }, { offset: 0x1c100000, length: 0x39000 },
    ]);
  });

  test('adjacent used areas merge; other statuses are not used', () => {
    const text = '0x0 ?\n0x0 0x1000 +\n0x1000 0x1000 +\n0x2000 0x1000 -\n0x3000 0x10 *\n0x3010 0x10 +\n';
    assert.deepStrictEqual(parseDomainMap(text), [{ offset: 0, length: 0x2000 }, { offset: 0x3010, length: 0x10 }]);
  });

  test('anything malformed is refused, naming the line', () => {
    assert.throws(() => parseDomainMap('# only comments\n'), /no status line/);
    assert.throws(() => parseDomainMap('0x0 ?\n0x0 0x1000 +\nPartclone error\n'), /line 3/);
    assert.throws(() => parseDomainMap('0x0 ?\n0x0 0x1000 + extra\n'), /line 2/);
    assert.throws(() => parseDomainMap('0x0 ?\n0x2000 0x1000 +\n0x0 0x1000 +\n'), /before the previous/);
  });
});

describe('parseDumpe2fs', () => {
  test('1 KiB blocks: used = every block but the free ones, from byte 0 (partclone says the same: 0x8C800)', () => {
    const a = parseDumpe2fs(DUMPE2FS_1K);
    assert.equal(a.blockSize, 1024);
    assert.deepStrictEqual(a.used, [{ offset: 0, length: 0x8c800 }]);
  });

  test('the golden root: same used areas as partclone, plus a single used block between free ranges', () => {
    const a = parseDumpe2fs(DUMPE2FS_GOLDEN);
    const shifted = parseDomainMap(EXT_DOMAIN).map((r) => ({ offset: r.offset - 0x04100000, length: r.length }));
    assert.deepStrictEqual(a.used.slice(0, 3), shifted.slice(0, 3));
    assert.deepStrictEqual(a.used.slice(3), [{ offset: 98304 * 4096, length: 57 * 4096 }, { offset: 100001 * 4096, length: 4096 }]);
  });

  test('missing header lines and ranges outside the file system are refused', () => {
    assert.throws(() => parseDumpe2fs('Block size: 4096\n'), /Block count/);
    assert.throws(() => parseDumpe2fs('Block count: 10\nBlock size: 4096\n  Free blocks: 5-12\n'), /outside/);
  });
});

describe('planBlocks', () => {
  const plan = (used: [number, number][], scan: [number, number][], disk: number, bs: number) =>
    [...planBlocks(used.map(([offset, length]) => ({ offset, length })), scan.map(([offset, length]) => ({ offset, length })), disk, bs)]
      .map((b) => [b.offset, b.length, b.used, b.scan.map((r) => [r.offset, r.length])]);

  test('a block is captured whole when any byte of it is used; blocks are on the grid from byte 0', () => {
    assert.deepStrictEqual(plan([[4 * KIB, 4 * KIB], [300 * KIB, 1]], [], 1024 * KIB, 256 * KIB), [
      [0, 262144, true, []], [262144, 262144, true, []],
    ]);
  });

  test('used ranges spanning blocks, and the short last block of the disk', () => {
    assert.deepStrictEqual(plan([[200 * KIB, 400 * KIB], [990 * KIB, 10 * KIB]], [], 1000 * KIB, 256 * KIB), [
      [0, 262144, true, []], [262144, 262144, true, []], [524288, 262144, true, []], [786432, 237568, true, []],
    ]);
  });

  test('scan parts are relative to the block, skip what a used range covers, and a used block needs none', () => {
    assert.deepStrictEqual(plan([], [[300 * KIB, 10 * KIB], [700 * KIB, 100 * KIB]], 1024 * KIB, 256 * KIB), [
      [262144, 262144, false, [[44 * KIB, 10 * KIB]]], [524288, 262144, false, [[188 * KIB, 68 * KIB]]], [786432, 262144, false, [[0, 32 * KIB]]],
    ]);
    assert.deepStrictEqual(plan([[0, 100 * KIB]], [[50 * KIB, 300 * KIB]], 1024 * KIB, 256 * KIB), [
      [0, 262144, true, []], [262144, 262144, false, [[0, 94 * KIB]]],
    ]);
    assert.deepStrictEqual(plan([[300 * KIB, 10 * KIB]], [[256 * KIB, 512 * KIB]], 1024 * KIB, 256 * KIB), [
      [262144, 262144, true, []], [524288, 262144, false, [[0, 256 * KIB]]],
    ]);
  });

  test('ranges past the disk are cut; nothing used or scanned gives no blocks', () => {
    assert.deepStrictEqual(plan([[1000 * KIB, 100 * KIB]], [], 1024 * KIB, 256 * KIB), [[786432, 262144, true, []]]);
    assert.deepStrictEqual(plan([], [], 1024 * KIB, 256 * KIB), []);
  });

  test('merge and subtract', () => {
    assert.deepStrictEqual(mergeRanges([{ offset: 10, length: 5 }, { offset: 0, length: 10 }, { offset: 20, length: 0 }, { offset: 30, length: 5 }]),
      [{ offset: 0, length: 15 }, { offset: 30, length: 5 }]);
    assert.deepStrictEqual(subtractRanges([{ offset: 0, length: 100 }], [{ offset: 10, length: 10 }, { offset: 50, length: 60 }]),
      [{ offset: 0, length: 10 }, { offset: 20, length: 30 }]);
  });
});

test('parseBlkidExport unescapes values and drops control characters', () => {
  assert.deepStrictEqual(parseBlkidExport('DEVNAME=g.img\nLABEL=my\\ disk\nUUID=1234-ABCD\nTYPE=vfat\nUSAGE=filesystem\n'), { type: 'vfat', uuid: '1234-ABCD', label: 'my disk' });
  assert.deepStrictEqual(parseBlkidExport(''), { type: '', uuid: '', label: '' });
});
