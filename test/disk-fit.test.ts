// The agent's disk fitting (fitTargetDisk, wipeBootArea) on real disk files with the real
// tools: the golden image (scripts/golden-image: GPT, ESP + ext4 root) copied onto bigger,
// equal and smaller sparse files, and an MBR copy of it. Each result is read back with sfdisk,
// e2fsck and debugfs. File targets go through a loop device inside fitTargetDisk (needs root).
import assert from 'node:assert/strict';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootArea, fitTargetDisk, readExt4Superblock, wipeBootArea, type FitResult } from '@rackcast/agent';
import { tempDir } from './helpers/temp-dir.js';
import { buildGoldenImage, checkExt4, diskCopy, goldenPlan, readExt4File, sha256, tool, type GoldenImage } from './helpers/golden-plan.js';

const MIB = 2 ** 20;
const GIB = 2 ** 30;

interface SfdiskJson {
  partitiontable: { label: string; id: string; lastlba?: number; partitions: { start: number; size: number; type: string; uuid?: string; bootable?: boolean }[] };
}

let work: Awaited<ReturnType<typeof tempDir>>;
let golden: GoldenImage;
let goldenTable: SfdiskJson['partitiontable'];
let copies = 0;

const table = async (disk: string): Promise<SfdiskJson['partitiontable']> => (JSON.parse(await tool('sfdisk', ['--json', disk])) as SfdiskJson).partitiontable;
const copy = (bytes: number): Promise<string> => diskCopy(golden, join(work.path, `disk-${++copies}.img`), bytes);

async function sector(disk: string, lba: number): Promise<Buffer> {
  const fh = await open(disk, 'r');
  try {
    const buf = Buffer.alloc(512);
    await fh.read(buf, 0, 512, lba * 512);
    return buf;
  } finally {
    await fh.close();
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** What every fitted disk must show: a verified table, a clean file system filling its partition, the data intact. */
async function assertFitted(disk: string, result: FitResult, label: 'gpt' | 'dos'): Promise<SfdiskJson['partitiontable']> {
  assert.match(await tool('sfdisk', ['--verify', disk]), /No errors detected/);
  const t = await table(disk);
  assert.equal(t.label, label);
  const root = t.partitions[1];
  assert.ok(root);
  assert.equal(result.partition?.newEndBytes, (root.start + root.size) * 512);
  const fsck = await checkExt4(disk, golden.root.offset);
  assert.equal(fsck.code, 0, fsck.output);
  const sb = await readExt4Superblock(disk, golden.root.offset);
  assert.ok(sb);
  assert.equal(sb.blocks * sb.blockSize, result.filesystem?.newBytes);
  assert.equal(sb.blocks, Math.floor(root.size * 512 / sb.blockSize), 'the file system fills its partition');
  assert.equal(await readExt4File(disk, golden.root.offset, '/etc/hostname'), `${golden.hostname}\n`);
  assert.equal(await sha256(disk, golden.esp), await sha256(golden.path, golden.esp), 'the ESP is untouched');
  assert.equal((await tool('losetup', ['--associated', disk])).trim(), '', 'no loop device left behind');
  return t;
}

before(async () => {
  work = await tempDir('disk-fit');
  golden = await buildGoldenImage(work.path);
  goldenTable = await table(golden.path);
});

after(async () => { await work?.remove(); });

describe('fitTargetDisk on GPT', () => {
  test('1 GiB: backup GPT moved to the end, the old one zeroed, root partition and ext4 grown to the end', async (t) => {
    const disk = await copy(GIB);
    const { value: result, seconds } = await timed(() => fitTargetDisk(disk, goldenPlan(golden, { targetBytes: GIB })));
    t.diagnostic(`fit 512 MiB image onto 1 GiB: ${seconds.toFixed(3)} s`);
    assert.deepEqual({ ...result, filesystem: null }, {
      table: 'gpt', imageBytes: 512 * MIB, diskBytes: GIB, backupGpt: 'moved', staleBackupWiped: true,
      partition: { number: 2, startBytes: golden.root.offset, oldEndBytes: golden.root.offset + golden.root.bytes, newEndBytes: (GIB / 512 - 33) * 512 },
      filesystem: null, notes: [],
    });
    assert.ok((result.filesystem?.newBytes ?? 0) > 2 * (result.filesystem?.oldBytes ?? 0));
    const t1 = await assertFitted(disk, result, 'gpt');
    assert.equal(t1.lastlba, GIB / 512 - 34);
    assert.equal(t1.id, goldenTable.id);
    assert.deepEqual(t1.partitions.map((p) => p.uuid), goldenTable.partitions.map((p) => p.uuid));
    assert.equal((await sector(disk, GIB / 512 - 1)).subarray(0, 8).toString('latin1'), 'EFI PART', 'backup header at the last sector');
    const oldBackup = Buffer.concat(await Promise.all(Array.from({ length: 33 }, (_, i) => sector(disk, 512 * MIB / 512 - 33 + i))));
    assert.ok(oldBackup.every((b) => b === 0), 'the image\'s old backup entries and header are zeroed');
    const pmbr = await sector(disk, 0);
    assert.equal(pmbr.readUInt32LE(446 + 12), GIB / 512 - 1, 'the protective MBR covers the whole disk');
    assert.ok(pmbr.subarray(0, 440).equals((await readFile(golden.path)).subarray(0, 440)), 'the MBR boot code stays');
    assert.equal((await stat(disk)).size, GIB);
  });

  test('a root whose journal needs recovery (powered off without unmounting) is replayed, then grown; the file system is clean', async () => {
    const disk = await copy(GIB);
    const root = `${disk}?offset=${golden.root.offset}`;
    // The state a captured machine leaves when its system was switched off while mounted; the
    // empty journal is enough: e2fsck takes its recovery path, re-opens, and (through
    // "?offset=") lost the offset and failed with "Bad magic number" before ext4-check.ts.
    await tool('debugfs', ['-w', '-R', 'feature needs_recovery', root]);
    assert.equal((await readExt4Superblock(disk, golden.root.offset))?.needsRecovery, true);
    const result = await fitTargetDisk(disk, goldenPlan(golden, { targetBytes: GIB }));
    assert.ok((result.filesystem?.newBytes ?? 0) > 2 * (result.filesystem?.oldBytes ?? 0), 'grown after the replay');
    assert.equal((await readExt4Superblock(disk, golden.root.offset))?.needsRecovery, false, 'the journal was replayed');
    assert.equal((await checkExt4(disk, golden.root.offset)).code, 0, 'e2fsck -fn finds nothing to fix');
  });

  test('same size: nothing to move; the root partition takes the last free MiB', async () => {
    const disk = await copy(golden.diskBytes);
    const result = await fitTargetDisk(disk, goldenPlan(golden));
    assert.equal(result.backupGpt, 'unchanged');
    assert.equal(result.staleBackupWiped, false);
    assert.equal(result.partition?.newEndBytes, (golden.diskBytes / 512 - 33) * 512);
    await assertFitted(disk, result, 'gpt');
  });

  test('without a partition to resize, the backup still moves to the end of a bigger disk', async () => {
    const disk = await copy(GIB);
    const result = await fitTargetDisk(disk, goldenPlan(golden, { targetBytes: GIB, resizePartition: null }));
    assert.deepEqual([result.backupGpt, result.partition, result.filesystem], ['moved', null, null]);
    assert.match(await tool('sfdisk', ['--verify', disk]), /No errors detected/);
    assert.equal((await table(disk)).partitions[1]?.size, golden.root.bytes / 512);
  });

  test('smaller (480 MiB) that holds the used data: ext4 shrunk first, then the GPT rewritten for the disk, GUIDs kept', async (t) => {
    assert.ok(golden.usedEndBytes < 480 * MIB && golden.usedEndBytes > 400 * MIB, `golden used data ends at ${golden.usedEndBytes}`);
    const disk = await copy(480 * MIB);
    const { value: result, seconds } = await timed(() => fitTargetDisk(disk, goldenPlan(golden, { targetBytes: 480 * MIB })));
    t.diagnostic(`fit onto 480 MiB: ${seconds.toFixed(3)} s, file system ${result.filesystem?.oldBytes} -> ${result.filesystem?.newBytes} bytes`);
    assert.equal(result.backupGpt, 'rewritten');
    assert.ok((result.filesystem?.newBytes ?? Infinity) < (result.filesystem?.oldBytes ?? 0));
    const t1 = await assertFitted(disk, result, 'gpt');
    assert.equal(t1.lastlba, 480 * MIB / 512 - 34);
    assert.equal(t1.id, goldenTable.id);
    assert.deepEqual(t1.partitions.map((p) => [p.start, p.type, p.uuid]), goldenTable.partitions.map((p) => [p.start, p.type, p.uuid]));
    assert.ok((await sector(disk, 0)).subarray(0, 440).equals((await readFile(golden.path)).subarray(0, 440)), 'the MBR boot code stays');
    assert.equal((await stat(disk)).size, 480 * MIB);
  });

  test('smaller (400 MiB) than the used data: RC_ERR_DISK_TOO_SMALL saying by how much; the disk is not changed', async () => {
    const disk = await copy(400 * MIB);
    const before = await sha256(disk);
    const short = golden.usedEndBytes - 400 * MIB;
    await assert.rejects(fitTargetDisk(disk, goldenPlan(golden, { targetBytes: 400 * MIB })),
      (e: Error & { code?: string }) => e.code === 'RC_ERR_DISK_TOO_SMALL' && e.message.includes(`${short} bytes (${Math.ceil(short / MIB)} MiB) short`));
    assert.equal(await sha256(disk), before);
  });

  test('a file system that cannot shrink into the partition left: refused before any write', async () => {
    // The plan claims the used data ends early; resize2fs -P still knows the file system needs ~28 MiB.
    const disk = await copy(70 * MIB);
    const before = await sha256(disk);
    await assert.rejects(fitTargetDisk(disk, goldenPlan(golden, { targetBytes: 70 * MIB, usedEndBytes: 66 * MIB })),
      (e: Error & { code?: string }) => e.code === 'RC_ERR_DISK_TOO_SMALL' && /file system of partition 2 needs at least \d+ bytes.* short/.test(e.message));
    assert.equal(await sha256(disk), before);
  });

  test('20 GiB sparse disk: grown, checked, timed', async (t) => {
    const disk = await copy(20 * GIB);
    const { value: result, seconds } = await timed(() => fitTargetDisk(disk, goldenPlan(golden, { targetBytes: 20 * GIB })));
    t.diagnostic(`fit 512 MiB image onto 20 GiB: ${seconds.toFixed(3)} s; host bytes allocated ${(await stat(disk)).blocks * 512}`);
    await assertFitted(disk, result, 'gpt');
    assert.ok((result.filesystem?.newBytes ?? 0) > 19 * GIB);
  });
});

describe('fitTargetDisk on MBR', () => {
  test('1 GiB and 480 MiB: the last partition and its ext4 grow (or shrink) to the last sector; id and boot flag kept', async () => {
    const disk = await copy(golden.diskBytes);
    const script = `label: dos\nlabel-id: 0x1234abcd\n\nstart=${golden.esp.offset / 512}, size=${golden.esp.bytes / 512}, type=ef, bootable\nstart=${golden.root.offset / 512}, size=${golden.root.bytes / 512}, type=83\n`;
    // --wipe always: the GPT signatures (primary and backup) go, so only the MBR is left.
    await tool('sfdisk', ['--no-reread', '--no-tell-kernel', '--wipe', 'always', disk], script);
    await diskCopy({ ...golden, path: disk }, `${disk}.1g`, GIB);
    const result = await fitTargetDisk(`${disk}.1g`, goldenPlan(golden, { table: 'mbr', targetBytes: GIB }));
    assert.equal(result.backupGpt, 'none');
    assert.equal(result.partition?.newEndBytes, GIB);
    const t1 = await assertFitted(`${disk}.1g`, result, 'dos');
    assert.equal(t1.id, '0x1234abcd');
    assert.equal(t1.partitions[0]?.bootable, true);
    await assert.rejects(fitTargetDisk(`${disk}.1g`, goldenPlan(golden, { table: 'gpt', targetBytes: GIB })), (e: Error & { code?: string }) => e.code === 'RC_ERR_DISK_LAYOUT');
    // The same MBR disk onto 480 MiB: the file system shrinks, then the partition is cut to the last sector.
    await diskCopy({ ...golden, path: disk }, `${disk}.480m`, 480 * MIB);
    const smaller = await fitTargetDisk(`${disk}.480m`, goldenPlan(golden, { table: 'mbr', targetBytes: 480 * MIB }));
    assert.equal(smaller.partition?.newEndBytes, 480 * MIB);
    assert.ok((smaller.filesystem?.newBytes ?? Infinity) < (smaller.filesystem?.oldBytes ?? 0));
    await assertFitted(`${disk}.480m`, smaller, 'dos');
  });
});

describe('boot area', () => {
  test('wipeBootArea zeroes the first and last MiB only: no table is left to boot or repair from', async () => {
    const disk = await copy(GIB);
    // The old disk content: the golden image, plus a GPT backup at the new end from an earlier fit.
    await fitTargetDisk(disk, goldenPlan(golden, { targetBytes: GIB, resizePartition: null }));
    const espBefore = await sha256(disk, golden.esp);
    const justBeforeTail = { offset: GIB - MIB - 4096, bytes: 4096 };
    const beforeTail = await sha256(disk, justBeforeTail);
    await wipeBootArea(disk, GIB);
    const zero = (b: Buffer): boolean => b.every((x) => x === 0);
    assert.ok(zero((await readFile(disk)).subarray(0, MIB)), 'first MiB zeroed');
    const fh = await open(disk, 'r');
    const tail = Buffer.alloc(MIB);
    await fh.read(tail, 0, MIB, GIB - MIB);
    await fh.close();
    assert.ok(zero(tail), 'last MiB zeroed');
    assert.equal(await sha256(disk, golden.esp), espBefore);
    assert.equal(await sha256(disk, justBeforeTail), beforeTail);
    await assert.rejects(tool('sfdisk', ['--json', disk]), 'sfdisk finds no partition table');
    assert.deepEqual(bootArea(goldenPlan(golden, { targetBytes: GIB }), GIB).deferred, [{ offset: 0, length: MIB }, { offset: golden.diskBytes - 33 * 4096, length: 33 * 4096 }]);
  });
});
