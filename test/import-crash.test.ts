import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '@rackcast/wire/fuzz-random';
import { parseJson, runCli } from './helpers/rackcast-cli.js';
import { writeSyntheticDisk } from './helpers/synthetic-disk.js';
import { tempDir } from './helpers/temp-dir.js';

const MiB = 1024 * 1024;
const CLI = fileURLToPath(new URL('../../server/bin/rackcast.js', import.meta.url));
const TRIALS = 8;
const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');


/** Starts an import and SIGKILLs it after `delayMs` (if still running); resolves with its exit. */
function importAndKill(file: string, env: Record<string, string>, delayMs: number, name: string): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'image', 'import', file, '--name', name], { env: { ...process.env, ...env }, stdio: 'ignore' });
    let killed = false;
    const timer = setTimeout(() => { killed = child.kill('SIGKILL'); }, delayMs);
    child.on('error', reject);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ killed, code }); });
  });
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let env: Record<string, string>;

/** 96 MiB with 40 data regions; each seed gives other content, so no import is a cheap re-import. */
async function diskFor(seed: number): Promise<string> {
  const path = join(dir.path, `disk-${seed}.img`);
  const regions = Array.from({ length: 40 }, (_, i) => [i * 2 * MiB + 4096, MiB + (i % 5) * 100_000, seed * 1000 + i + 1] as const);
  await writeSyntheticDisk(path, 96 * MiB, regions);
  return path;
}

before(async () => {
  dir = await tempDir('crash');
  env = { RACKCAST_STORE_DIR: join(dir.path, 'store') };
});
after(() => dir.remove());

test('an import killed at random points never leaves a half version; the store stays sound', async () => {
  const reference = await diskFor(0);
  // The shorter of two timed imports: one slow run (a load spike on a shared machine) would
  // otherwise put most kill points after the end of the imports.
  let importMs = Infinity;
  for (const name of ['reference', 'reference-again']) {
    const started = Date.now();
    const full = await runCli(['image', 'import', reference, '--name', name], env);
    assert.equal(full.code, 0, full.stderr);
    importMs = Math.min(importMs, Date.now() - started);
  }
  const random = mulberry32(20261122);
  let killedCount = 0;
  for (let trial = 1; trial <= TRIALS; trial++) {
    const disk = await diskFor(trial);
    // Kill points spread over the whole import, process start-up included.
    const delay = Math.round(random() * importMs * 1.2);
    const { killed } = await importAndKill(disk, env, delay, `crash-${trial}`);
    if (killed) killedCount++;
    const verify = parseJson<{ ok: boolean; problems: unknown[] }>(await runCli(['store', 'verify', '--json'], env));
    assert.equal(verify.ok, true, `trial ${trial} (kill at ${delay} ms): ${JSON.stringify(verify.problems)}`);
    const listed = await runCli(['image', 'versions', `crash-${trial}`, '--json'], env);
    if (listed.code !== 0) {
      assert.match(listed.stderr, /RC_ERR_STORE_IMAGE_NOT_FOUND/, `trial ${trial}`);
      continue;
    }
    // A version that is listed is complete: it exports to the exact source bytes.
    const versions = parseJson<{ version: number }[]>(listed);
    assert.deepEqual(versions.map((v) => v.version), [1], `trial ${trial}`);
    const out = join(dir.path, `out-${trial}.img`);
    const exported = await runCli(['image', 'export', `crash-${trial}`, out], env);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(await sha(out), await sha(disk), `trial ${trial}`);
  }
  assert.ok(killedCount >= TRIALS / 2, `at least half the trials killed a running import (${killedCount}/${TRIALS})`);
  const gc = await runCli(['store', 'gc', '--json'], env);
  assert.equal(gc.code, 0, gc.stderr);
  const finalVerify = parseJson<{ ok: boolean }>(await runCli(['store', 'verify', '--json'], env));
  assert.equal(finalVerify.ok, true);
  const retry = await runCli(['image', 'import', await diskFor(1), '--name', 'crash-1', '--json'], env);
  assert.equal(retry.code, 0, retry.stderr);
});
