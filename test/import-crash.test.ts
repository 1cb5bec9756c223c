import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseJson, runCli } from './helpers/rackcast-cli.js';
import { writeSyntheticDisk } from './helpers/synthetic-disk.js';
import { tempDir } from './helpers/temp-dir.js';

const MiB = 1024 * 1024;
const CLI = fileURLToPath(new URL('../../server/bin/rackcast.js', import.meta.url));
const TRIALS = 8;

/** mulberry32: reproducible "random" kill points; the seed is printed with each trial. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts an import and SIGKILLs it after `delayMs` (if still running); resolves with its exit. */
function importAndKill(file: string, env: Record<string, string>, delayMs: number): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'image', 'import', file, '--name', 'crashme'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    let killed = false;
    const timer = setTimeout(() => { killed = child.kill('SIGKILL'); }, delayMs);
    child.on('error', reject);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ killed, code }); });
  });
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let disk: string;
let env: Record<string, string>;

before(async () => {
  dir = await tempDir('crash');
  disk = join(dir.path, 'disk.img');
  // 96 MiB with 40 data regions: enough work that kills land in every phase of an import.
  const regions = Array.from({ length: 40 }, (_, i) => [i * 2 * MiB + 4096, MiB + (i % 5) * 100_000, i + 1] as const);
  await writeSyntheticDisk(disk, 96 * MiB, regions);
  env = { RACKCAST_STORE_DIR: join(dir.path, 'store') };
});
after(() => dir.remove());

test('an import killed at random points never leaves a half version; the store stays sound', async () => {
  const started = Date.now();
  const full = await runCli(['image', 'import', disk, '--name', 'reference'], env);
  assert.equal(full.code, 0, full.stderr);
  const importMs = Date.now() - started;
  const random = prng(20261122);
  const diskSha = createHash('sha256').update(await readFile(disk)).digest('hex');
  let killedCount = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    // Kill points spread over the whole import, process start-up included.
    const delay = Math.round(random() * importMs * 1.2);
    const { killed } = await importAndKill(disk, env, delay);
    if (killed) killedCount++;
    const verify = parseJson<{ ok: boolean; problems: unknown[] }>(await runCli(['store', 'verify', '--json'], env));
    assert.equal(verify.ok, true, `trial ${trial} (kill at ${delay} ms): ${JSON.stringify(verify.problems)}`);
    const listed = await runCli(['image', 'versions', 'crashme', '--json'], env);
    if (listed.code !== 0) {
      assert.match(listed.stderr, /RC_ERR_STORE_IMAGE_NOT_FOUND/, `trial ${trial}`);
      continue;
    }
    // Any version that is listed is complete: it exports to the exact source bytes.
    for (const v of parseJson<{ version: number }[]>(listed)) {
      const out = join(dir.path, `out-${trial}-${v.version}.img`);
      const exported = await runCli(['image', 'export', `crashme@${v.version}`, out], env);
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(createHash('sha256').update(await readFile(out)).digest('hex'), diskSha, `trial ${trial} version ${v.version}`);
    }
  }
  assert.ok(killedCount >= TRIALS / 2, `at least half the trials killed a running import (${killedCount}/${TRIALS})`);
  const gc = await runCli(['store', 'gc', '--json'], env);
  assert.equal(gc.code, 0, gc.stderr);
  const finalVerify = parseJson<{ ok: boolean }>(await runCli(['store', 'verify', '--json'], env));
  assert.equal(finalVerify.ok, true);
  const retry = await runCli(['image', 'import', disk, '--name', 'crashme', '--json'], env);
  assert.equal(retry.code, 0, retry.stderr);
});
