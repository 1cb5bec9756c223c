import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolOptions, ToolRun } from '../disk/index.js';
import { openCaptureSource } from './capture-source.js';
import { buildUsedMap } from './used-map.js';

const MIB = 2 ** 20;
const SECTORS_PER_MIB = 2048;

/** A ToolRunner that answers from a table (no process is spawned), recording every call. */
function fakeRunner(answer: (command: string, args: readonly string[]) => ToolRun) {
  const calls: string[] = [];
  const runner = async (command: string, args: readonly string[], _options?: ToolOptions): Promise<ToolRun> => {
    calls.push(`${command} ${args.join(' ')}`);
    return answer(command, args);
  };
  return { runner, calls };
}

const ok = (stdout: string): ToolRun => ({ code: 0, stdout, stderr: '' });
const fail = (stderr: string): ToolRun => ({ code: 1, stdout: '', stderr });

function sfdisk(label: 'gpt' | 'dos', parts: { start: number; size: number; type: string }[], lastlba?: number): string {
  return JSON.stringify({ partitiontable: {
    label, id: label === 'gpt' ? '8E6C7A52-0B1D-4F3E-9A2C-5D4B3A291807' : '0x5d8b3e21', device: 'disk.img', unit: 'sectors', sectorsize: 512,
    ...(lastlba !== undefined ? { firstlba: 2048, lastlba } : {}),
    partitions: parts.map((p, i) => ({ node: `disk.img${i < 2 || label === 'gpt' ? i + 1 : i + 3}`, ...p })),
  } });
}

const DUMPE2FS = 'Block count:              2560\nBlock size:               4096\nGroup 0: (Blocks 0-2559)\n  Free blocks: 100-2559\n';

describe('buildUsedMap', () => {
  let dir: string;
  let disk: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rc-usedmap-'));
    disk = join(dir, 'disk.img');
    await writeFile(disk, '');
    await truncate(disk, 64 * MIB);
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('MBR with an extended partition: partclone fails → dumpe2fs; unknown → zero scan; EBRs and gaps scanned', async () => {
    // 1: ext4 at 1 MiB (10 MiB); 2: extended 20–60 MiB; 5: logical at 21 MiB (10 MiB), unknown content.
    const table = sfdisk('dos', [
      { start: SECTORS_PER_MIB, size: 10 * SECTORS_PER_MIB, type: '83' },
      { start: 20 * SECTORS_PER_MIB, size: 40 * SECTORS_PER_MIB, type: '5' },
      { start: 21 * SECTORS_PER_MIB, size: 10 * SECTORS_PER_MIB, type: '83' },
    ]);
    const { runner, calls } = fakeRunner((command, args) => {
      if (command === 'sfdisk') return ok(table);
      if (command === 'blkid') return args.includes(String(MIB)) ? ok('TYPE=ext4\nUUID=abc\nLABEL=root\n') : { code: 2, stdout: '', stderr: '' };
      if (command === 'partclone.extfs') return fail('Partclone error: bad superblock');
      if (command === 'dumpe2fs') return ok(DUMPE2FS);
      throw new Error(`unexpected ${command}`);
    });
    const source = await openCaptureSource(disk, { partitionPath: (n) => (n === 1 ? join(dir, 'p1') : null) });
    const map = await buildUsedMap(source, { runner, tmpDir: dir });
    assert.deepStrictEqual(map.filesystems.map((f) => [f.partition, f.type, f.method, f.usedBytes]), [[1, 'ext4', 'dumpe2fs', 100 * 4096], [5, '', 'zero-scan', 0]]);
    assert.match(map.problems[0] ?? '', /^partition 1: partclone\.extfs .* failed .*bad superblock/);
    assert.ok(calls.some((c) => c === `dumpe2fs ${disk}?offset=${MIB}`));
    // The first MiB and the ext4's used blocks are read whatever they hold.
    assert.deepStrictEqual(map.used, [{ offset: 0, length: MIB + 100 * 4096 }]);
    // Partition 5, and every byte outside data partitions: 11–21 MiB (holds the EBR at 20 MiB), 31 MiB to the end.
    assert.deepStrictEqual(map.scan, [{ offset: 0, length: MIB }, { offset: 11 * MIB, length: 53 * MIB }]);
  });

  test('GPT: everything after the last usable sector (the backup GPT) is always read', async () => {
    const lastlba = 64 * SECTORS_PER_MIB - 34;
    const { runner } = fakeRunner((command) => {
      if (command === 'sfdisk') return ok(sfdisk('gpt', [{ start: SECTORS_PER_MIB, size: 8 * SECTORS_PER_MIB, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4' }], lastlba));
      if (command === 'blkid') return { code: 2, stdout: '', stderr: '' };
      throw new Error(`unexpected ${command}`);
    });
    const map = await buildUsedMap(await openCaptureSource(disk), { runner, tmpDir: dir });
    assert.deepStrictEqual(map.used, [{ offset: 0, length: MIB }, { offset: (lastlba + 1) * 512, length: 33 * 512 }]);
    assert.equal(map.table?.label, 'gpt');
    assert.equal(map.table?.lastLba, lastlba);
  });

  test('no partition table: the disk is one region; a whole-disk file system goes to partclone on the disk itself', async () => {
    const { runner, calls } = fakeRunner((command) => {
      if (command === 'sfdisk') return fail('does not contain a recognized partition table');
      if (command === 'blkid') return ok('TYPE=vfat\nUUID=1234-ABCD\n');
      if (command === 'partclone.fat') return ok('0x0 ?\n0x00000000  0x00010000  +\n0x00010000  0x03FF0000  ?\n');
      throw new Error(`unexpected ${command}`);
    });
    const map = await buildUsedMap(await openCaptureSource(disk), { runner, tmpDir: dir });
    assert.deepStrictEqual(map.filesystems.map((f) => [f.partition, f.type, f.method, f.usedBytes]), [[null, 'vfat', 'partclone', 0x10000]]);
    assert.ok(calls.some((c) => c.startsWith(`partclone.fat -D -f 0 -s ${disk} -o - `) && c.endsWith('--offset_domain=0')));
    assert.deepStrictEqual(map.used, [{ offset: 0, length: 0x10000 }]);
    assert.deepStrictEqual(map.scan, []);
  });
});
