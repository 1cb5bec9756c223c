// Self-test of test/helpers/disk-image.ts and scripts/make-test-disk.sh: builds a 64 MiB GPT
// disk from generated trees, reads files back with debugfs/mtools and changes them in place.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  MAKE_TEST_DISK,
  buildTestDisk,
  fillDirectory,
  modifyTestDisk,
  readPartitionTable,
  readTestDiskFile,
  sha256File,
  testDiskPathExists,
  type FilledFile,
} from './helpers/disk-image.js';

const execFileAsync = promisify(execFile);
const MIB = 1024 * 1024;
const ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
const LINUX_FS_TYPE = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';

describe('make-test-disk.sh through the disk-image helper', () => {
  let work = '';
  let img = '';
  let rootFiles: FilledFile[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'rackcast-disk-image-'));
    const root = join(work, 'root');
    const esp = join(work, 'esp');
    rootFiles = await fillDirectory(root, { files: 60, seed: 'root-v1', sizes: { min: 1, max: 512 * 1024 } });
    await fillDirectory(join(root, 'etc'), { files: 3, seed: 'etc', sizes: [10, 100] });
    await writeFile(join(root, 'etc', 'hostname'), 'rack-01\n');
    await fillDirectory(join(esp, 'EFI', 'BOOT'), { files: 4, seed: 'esp', sizes: [4096, 65536] });
    await writeFile(join(esp, 'EFI', 'BOOT', 'BOOTX64.EFI'), Buffer.alloc(70_000, 0x4d));
    img = join(work, 'disk.img');
    await buildTestDisk(img, { size: 64 * MIB, fatFrom: esp, fatSize: '33M', ext4From: root, check: true });
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('finds the script relative to the compiled helper', () => {
    assert.ok(existsSync(MAKE_TEST_DISK), MAKE_TEST_DISK);
  });

  it('writes a GPT with an EFI System and a Linux filesystem partition', async () => {
    const table = await readPartitionTable(img);
    assert.equal(table.label, 'gpt');
    assert.equal(table.partitions.length, 2);
    const [p1, p2] = table.partitions;
    assert.ok(p1 && p2);
    assert.deepEqual([p1.number, p1.type, p1.startBytes, p1.sizeBytes], [1, ESP_TYPE, MIB, 33 * MIB]);
    assert.deepEqual([p2.number, p2.type, p2.startBytes], [2, LINUX_FS_TYPE, 34 * MIB]);
    assert.ok(p2.startBytes + p2.sizeBytes <= 64 * MIB - 33 * 512, 'p2 ends before the backup GPT');
  });

  it('puts the files of the source tree into the ext4 partition', async () => {
    assert.equal((await readTestDiskFile(img, '/etc/hostname')).toString(), 'rack-01\n');
    const samples = [rootFiles.find((f) => f.kind === 'binary'), rootFiles.find((f) => f.kind === 'text'), rootFiles.find((f) => f.kind === 'empty')];
    for (const f of samples) {
      assert.ok(f, 'fillDirectory made files of every kind');
      const expected = await readFile(join(work, 'root', f.path));
      const actual = await readTestDiskFile(img, `/${f.path}`);
      assert.equal(actual.length, f.size, f.path);
      assert.ok(actual.equals(expected), f.path);
    }
  });

  it('puts the files of the ESP tree into the FAT32 partition', async () => {
    const { stdout } = await execFileAsync('mcopy', ['-i', `${img}@@${MIB}`, '::/EFI/BOOT/BOOTX64.EFI', '-'], {
      encoding: 'buffer',
      env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
    });
    assert.ok(stdout.equals(Buffer.alloc(70_000, 0x4d)));
  });

  it('modifies the ext4 partition in place', async () => {
    const copy = join(work, 'modified.img');
    await writeFile(copy, await readFile(img));
    const newHostname = join(work, 'hostname.new');
    await writeFile(newHostname, 'rack-02\n');
    const victim = rootFiles.find((f) => f.kind === 'binary');
    assert.ok(victim);
    await modifyTestDisk(
      copy,
      [
        { op: 'write', src: newHostname, dest: '/etc/hostname' },
        { op: 'write', src: newHostname, dest: '/opt/new dir/hostname.copy' },
        { op: 'rm', path: `/${victim.path}` },
        { op: 'mkdir', path: '/var/lib/rackcast' },
      ],
      { check: true },
    );
    assert.equal((await readTestDiskFile(copy, '/etc/hostname')).toString(), 'rack-02\n');
    assert.equal((await readTestDiskFile(copy, '/opt/new dir/hostname.copy')).toString(), 'rack-02\n');
    assert.equal(await testDiskPathExists(copy, `/${victim.path}`), false);
    assert.equal(await testDiskPathExists(copy, '/var/lib/rackcast'), true);
    // The original is untouched, and the partition table is still the same.
    assert.equal((await readTestDiskFile(img, '/etc/hostname')).toString(), 'rack-01\n');
    assert.deepEqual(await readPartitionTable(copy), await readPartitionTable(img));
  });

  it('leaves the image unchanged when an operation fails', async () => {
    const before = await sha256File(img);
    await assert.rejects(
      modifyTestDisk(img, [
        { op: 'mkdir', path: '/would-be-created' },
        { op: 'rm', path: '/no/such/file' },
      ]),
      /no such file or directory: \/no\/such\/file/,
    );
    assert.equal(await sha256File(img), before);
  });

  it('rejects a FAT32 partition smaller than 65525 clusters', async () => {
    await assert.rejects(buildTestDisk(join(work, 'small.img'), { size: 64 * MIB, fatSize: 32 * MIB }), /at least 33M/);
  });
});

describe('fillDirectory', () => {
  it('makes the same tree from the same seed and another from another seed', async () => {
    const work = await mkdtemp(join(tmpdir(), 'rackcast-fill-'));
    try {
      const a = await fillDirectory(join(work, 'a'), { files: 40, seed: 7 });
      const b = await fillDirectory(join(work, 'b'), { files: 40, seed: 7 });
      const c = await fillDirectory(join(work, 'c'), { files: 40, seed: 8 });
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
      for (const f of a) {
        assert.equal(await sha256File(join(work, 'a', f.path)), await sha256File(join(work, 'b', f.path)));
      }
      assert.ok(a.some((f) => f.path.includes('/')), 'nested directories');
      assert.deepEqual(new Set(a.map((f) => f.kind)), new Set(['text', 'binary', 'empty']));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
