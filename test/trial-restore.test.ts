// The trial restore's refusals, as a technician meets them from the CLI (no VM boots here; the
// boots are in trial-restore.lab.test.ts): no QEMU on PATH, a bad --expect, both firmwares
// forced. Each must fail before anything is exported, so the scratch folder stays empty.
import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseJson, runCli } from './helpers/rackcast-cli.js';
import { writeSyntheticDisk } from './helpers/synthetic-disk.js';
import { tempDir } from './helpers/temp-dir.js';

const MiB = 1024 * 1024;
let dir: Awaited<ReturnType<typeof tempDir>>;
let env: Record<string, string>;
let scratch: string;

before(async () => {
  dir = await tempDir('trial');
  scratch = join(dir.path, 'scratch');
  await mkdir(scratch);
  env = { RACKCAST_STORE_DIR: join(dir.path, 'store'), TMPDIR: scratch };
  const disk = join(dir.path, 'disk.img');
  await writeSyntheticDisk(disk, 8 * MiB, [[MiB, MiB, 1]]);
  const imported = await runCli(['image', 'import', disk, '--name', 'web', '--raw'], env);
  assert.equal(imported.code, 0, imported.stderr);
});
after(() => dir.remove());

test('no qemu-system-x86_64 on PATH: RC_ERR_TRIAL_QEMU_MISSING names the Debian package, nothing exported', async () => {
  const empty = join(dir.path, 'empty-bin');
  await mkdir(empty, { recursive: true });
  const result = await runCli(['image', 'verify', 'web@1', '--boot', '--json'], { ...env, PATH: empty });
  assert.equal(result.code, 1, result.stderr);
  const { error } = parseJson<{ error: { code: string; message: string } }>(result);
  assert.equal(error.code, 'RC_ERR_TRIAL_QEMU_MISSING');
  assert.match(error.message, /qemu-system-x86/);
  assert.deepEqual(await readdir(scratch), []);
});

test('a bad --expect and --uefi with --bios are refused with their codes', async () => {
  const bad = await runCli(['image', 'verify', 'web@1', '--boot', '--expect', '(unclosed', '--json'], env);
  assert.equal(bad.code, 1);
  assert.equal(parseJson<{ error: { code: string } }>(bad).error.code, 'RC_ERR_TRIAL_BAD_EXPECT');
  const both = await runCli(['image', 'verify', 'web@1', '--boot', '--uefi', '--bios'], env);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /RC_ERR_BAD_REQUEST: give --uefi or --bios, not both/);
  assert.deepEqual(await readdir(scratch), []);
});

test('without --boot: the version\'s blocks are re-hashed; an unknown version is an error', async () => {
  const ok = await runCli(['image', 'verify', 'web', '--json'], env);
  assert.equal(ok.code, 0, ok.stderr);
  const report = parseJson<{ image: string; version: number; ok: boolean; usedBytes: number; problems: unknown[] }>(ok);
  assert.deepEqual({ image: report.image, version: report.version, ok: report.ok, problems: report.problems }, { image: 'web', version: 1, ok: true, problems: [] });
  assert.ok(report.usedBytes >= MiB, `usedBytes ${report.usedBytes}`);
  const missing = await runCli(['image', 'verify', 'web@7'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /RC_ERR_STORE_VERSION_NOT_FOUND/);
});
