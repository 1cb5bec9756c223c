import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { unstoredRanges, zeroUnstoredRanges } from './unstored-ranges.js';

test('unstored ranges are the gaps between stored blocks up to the limit', () => {
  const blocks = [{ offset: 4096, length: 4096 }, { offset: 0, length: 1024 }, { offset: 16384, length: 8192 }];
  assert.deepEqual(unstoredRanges(blocks, 20000), [{ offset: 1024, length: 3072 }, { offset: 8192, length: 8192 }]);
  assert.deepEqual(unstoredRanges(blocks, 32768), [{ offset: 1024, length: 3072 }, { offset: 8192, length: 8192 }, { offset: 24576, length: 8192 }]);
  assert.deepEqual(unstoredRanges([], 100), [{ offset: 0, length: 100 }]);
  assert.deepEqual(unstoredRanges([{ offset: 0, length: 100 }], 100), []);
});

test('a disk full of old data reads zeros in the gaps and keeps the written blocks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rc-unstored-'));
  try {
    const disk = join(dir, 'disk.img');
    await writeFile(disk, Buffer.alloc(64 * 1024, 0xee));
    const blocks = [{ offset: 0, length: 8192 }, { offset: 32768, length: 8192 }];
    const done = await zeroUnstoredRanges(disk, blocks, 48 * 1024);
    assert.deepEqual(done, { ranges: 2, bytes: 24576 + 8192 });
    const bytes = await readFile(disk);
    const all = (from: number, to: number, value: number) => bytes.subarray(from, to).every((b) => b === value);
    assert.ok(all(0, 8192, 0xee) && all(32768, 40960, 0xee), 'stored blocks untouched');
    assert.ok(all(8192, 32768, 0) && all(40960, 49152, 0), 'gaps zeroed');
    assert.ok(all(49152, 65536, 0xee), 'nothing past the limit');
    // The fallback (a device that cannot zero a range itself) gives the same bytes.
    await writeFile(disk, Buffer.alloc(64 * 1024, 0xee));
    await zeroUnstoredRanges(disk, blocks, 48 * 1024, () => Promise.resolve({ code: 1, stdout: '', stderr: 'not supported' }));
    assert.deepEqual(await readFile(disk), bytes);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
