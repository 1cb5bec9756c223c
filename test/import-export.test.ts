import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { buildTestDisk, fillDirectory, modifyTestDisk, sha256File } from './helpers/disk-image.js';
import { parseJson, runCli } from './helpers/rackcast-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const exec = promisify(execFile);

interface Version { version: number; blockSize: number; blockCount: number; newBlocks: number; usedBytes: number; diskSize: number }

/** Digests of the non-zero blocks of a raw image, computed without Rackcast: the expectation. */
async function nonZeroBlockDigests(path: string, blockSize: number): Promise<string[]> {
  const handle = await open(path, 'r');
  const digests: string[] = [];
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(blockSize);
    for (let offset = 0; offset < size; offset += blockSize) {
      const { bytesRead } = await handle.read(buf, 0, blockSize, offset);
      const data = buf.subarray(0, bytesRead);
      if (data.some((b) => b !== 0)) digests.push(createHash('sha256').update(data).digest('hex'));
    }
  } finally {
    await handle.close();
  }
  return digests;
}

async function countBlockFiles(store: string): Promise<number> {
  const { stdout } = await exec('find', [join(store, 'blocks'), '-type', 'f']);
  return stdout.trim().split('\n').filter(Boolean).length;
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let env: Record<string, string>;
let v1Disk: string;
let v2Disk: string;

before(async () => {
  dir = await tempDir('impexp');
  env = { RACKCAST_STORE_DIR: join(dir.path, 'store') };
  const rootTree = join(dir.path, 'root');
  const espTree = join(dir.path, 'esp');
  await fillDirectory(rootTree, { files: 900, seed: 'root-v1', sizes: { min: 1, max: 256 * 1024 } });
  await fillDirectory(espTree, { files: 12, seed: 'esp', sizes: { min: 1, max: 64 * 1024 } });
  v1Disk = join(dir.path, 'v1.img');
  await buildTestDisk(v1Disk, { size: '256M', fatFrom: espTree, fatSize: '34M', ext4From: rootTree });
  // Version 2: a realistic small update of the ext4 partition: files changed, added, deleted.
  v2Disk = join(dir.path, 'v2.img');
  await copyFile(v1Disk, v2Disk);
  const files = (await readdir(rootTree, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  const victims = files.slice(0, 6).map((e) => `/${join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(rootTree.length + 1)}`);
  const newFile = join(dir.path, 'new.bin');
  await writeFile(newFile, createHash('sha512').update('new').digest().toString('hex').repeat(3000));
  await modifyTestDisk(v2Disk, [
    { op: 'write', src: newFile, dest: '/etc/added.conf' },
    { op: 'write', src: newFile, dest: victims[0] ?? '/x' },
    { op: 'rm', path: victims[1] ?? '/y' },
    { op: 'rm', path: victims[2] ?? '/z' },
  ], { check: true });
});
after(() => dir.remove());

test('a GPT disk with ext4 and FAT imports and exports byte-identical', async () => {
  const imported = await runCli(['image', 'import', v1Disk, '--name', 'lab', '--json'], env);
  assert.equal(imported.code, 0, imported.stderr);
  const v1 = parseJson<Version>(imported);
  const expected = await nonZeroBlockDigests(v1Disk, v1.blockSize);
  assert.equal(v1.blockCount, expected.length, 'every non-zero block is in the manifest, no zero block is');
  assert.equal(v1.newBlocks, new Set(expected).size, 'each distinct block is stored once');
  assert.ok(v1.usedBytes < v1.diskSize / 2, 'unused space is not stored');
  assert.equal(await countBlockFiles(env['RACKCAST_STORE_DIR'] ?? ''), v1.newBlocks);
  const out = join(dir.path, 'v1.out');
  assert.equal((await runCli(['image', 'export', 'lab@1', out], env)).code, 0);
  assert.equal(await sha256File(out), await sha256File(v1Disk));
});

test('a slightly changed image becomes version 2 and stores only the changed blocks', async () => {
  const before = await countBlockFiles(env['RACKCAST_STORE_DIR'] ?? '');
  const imported = await runCli(['image', 'import', v2Disk, '--name', 'lab', '--json'], env);
  assert.equal(imported.code, 0, imported.stderr);
  const v2 = parseJson<Version>(imported);
  assert.equal(v2.version, 2);
  const old = new Set(await nonZeroBlockDigests(v1Disk, v2.blockSize));
  const changed = new Set((await nonZeroBlockDigests(v2Disk, v2.blockSize)).filter((d) => !old.has(d)));
  assert.ok(changed.size > 0, 'the update changed some blocks');
  assert.ok(changed.size * 4 < v2.blockCount, `the update is small (${changed.size} of ${v2.blockCount} blocks)`);
  assert.equal(v2.newBlocks, changed.size, 'version 2 stored exactly the changed blocks');
  assert.equal(await countBlockFiles(env['RACKCAST_STORE_DIR'] ?? '') - before, changed.size);
  for (const [ref, source] of [['lab@2', v2Disk], ['lab@1', v1Disk]] as const) {
    const out = join(dir.path, `${ref.replace('@', '-')}.out`);
    assert.equal((await runCli(['image', 'export', ref, out, '--force'], env)).code, 0);
    assert.equal(await sha256File(out), await sha256File(source), ref);
  }
  const versions = parseJson<Version[]>(await runCli(['image', 'versions', 'lab', '--json'], env));
  assert.deepEqual(versions.map((v) => [v.version, v.newBlocks]), [[1, versions[0]?.newBlocks], [2, changed.size]]);
});

test('qcow2, vmdk, vdi and vhdx import to the same blocks and export to the raw bytes', async () => {
  const rawSha = await sha256File(v2Disk);
  for (const format of ['qcow2', 'vmdk', 'vdi', 'vhdx'] as const) {
    const file = join(dir.path, `v2.${format}`);
    await exec('qemu-img', ['convert', '-f', 'raw', '-O', format, v2Disk, file]);
    const imported = await runCli(['image', 'import', file, '--name', `fmt-${format}`, '--json'], env);
    assert.equal(imported.code, 0, `${format}: ${imported.stderr}`);
    assert.equal(parseJson<Version>(imported).newBlocks, 0, `${format}: every block was already stored by lab@2`);
    const out = join(dir.path, `fmt-${format}.out`);
    assert.equal((await runCli(['image', 'export', `fmt-${format}`, out], env)).code, 0);
    assert.equal(await sha256File(out), rawSha, format);
  }
  const verify = parseJson<{ ok: boolean; versions: number }>(await runCli(['store', 'verify', '--json'], env));
  assert.deepEqual([verify.ok, verify.versions], [true, 6]);
});
