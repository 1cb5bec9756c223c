// Lab test of the trial restore, `rackcast image verify <name>@<version> --boot`, run as a real
// CLI process against a scratch store: the golden image (scripts/golden-image) imported as
// version 1 must boot to its marker line; the same disk with its first MiB wiped (boot sector
// and primary GPT gone) imported as version 2 must fail with RC_ERR_TRIAL_NO_MARKER and the
// console's last lines; Ctrl-C during a boot must leave nothing behind; and with a server
// holding the store the command works through its API. Every run gets its own TMPDIR, so the
// scratch disk and any QEMU still using it are found by path: the folder must be empty and no
// process may name it afterwards. VMs have no network (-nic none). Needs qemu-system-x86, ovmf
// and the golden image's build tools (scripts/install-deps.sh).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig, silentLogger, startServer } from '@rackcast/server';
import { parseCloneMarker } from './helpers/clone-marker.js';
import { buildGoldenImage, diskCopy, type GoldenImage } from './helpers/golden-plan.js';
import { parseJson, runCli, type CliResult } from './helpers/rackcast-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const CLI = fileURLToPath(new URL('../../server/bin/rackcast.js', import.meta.url));
/** The golden image boots to its marker in 7–12 s here (docs/golden-image.md); 3× for a loaded machine, plus export. */
const CLI_TIMEOUT_MS = 6 * 60_000;

interface TrialJson {
  image: string;
  version: number;
  firmware: string;
  firmwareReason: string;
  bootSeconds: number;
  matched: string;
  consoleTail: string[];
}

interface ErrorJson {
  error: { code: string; message: string; details: { reason?: string; consoleTail?: string[] } };
}

let work: Awaited<ReturnType<typeof tempDir>>;
let golden: GoldenImage;
let env: Record<string, string>;
let runs = 0;

/** A fresh TMPDIR for one CLI run: where its scratch disk goes. */
async function scratchEnv(): Promise<{ env: Record<string, string>; dir: string }> {
  runs += 1;
  const dir = join(work.path, `tmp-${runs}`);
  await mkdir(dir);
  return { env: { ...env, TMPDIR: dir }, dir };
}

/** PIDs of processes whose command line names `path` (a QEMU booting a disk in it). */
async function processesUsing(path: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'latin1').catch(() => '');
    if (cmdline.includes(path)) pids.push(Number(name));
  }
  return pids;
}

/** Nothing of the trial is left: the scratch folder is empty and no process uses it. */
async function assertCleanedUp(dir: string): Promise<void> {
  assert.deepEqual(await readdir(dir), [], 'the scratch disk was removed');
  assert.deepEqual(await processesUsing(dir), [], 'no QEMU is left');
}

const show = (r: CliResult): string => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

before(async () => {
  work = await tempDir('trial-lab');
  golden = await buildGoldenImage(work.path);
  env = { RACKCAST_STORE_DIR: join(work.path, 'store') };
  const v1 = await runCli(['image', 'import', golden.path, '--name', 'golden'], env);
  assert.equal(v1.code, 0, show(v1));
  // Version 2: the first MiB wiped (MBR boot code, protective MBR, primary GPT): no firmware can boot it.
  const broken = await diskCopy(golden, join(work.path, 'broken.img'), golden.diskBytes);
  const fh = await open(broken, 'r+');
  await fh.write(Buffer.alloc(1024 * 1024), 0, 1024 * 1024, 0);
  await fh.close();
  const v2 = await runCli(['image', 'import', broken, '--name', 'golden', '--raw'], env);
  assert.equal(v2.code, 0, show(v2));
});

after(async () => { await work?.remove(); });

test('golden@1 --boot: exit 0, the marker line matched under BIOS, nothing left behind', async (t) => {
  const { env: runEnv, dir } = await scratchEnv();
  const result = await runCli(['image', 'verify', 'golden@1', '--boot', '--json'], runEnv, CLI_TIMEOUT_MS);
  assert.equal(result.code, 0, show(result));
  const report = parseJson<TrialJson>(result);
  assert.equal(report.image, 'golden');
  assert.equal(report.version, 1);
  assert.equal(report.firmware, 'bios');
  assert.equal(report.firmwareReason, 'MBR boot code');
  const marker = parseCloneMarker(report.matched);
  assert.ok(marker, `matched line is the marker: ${report.matched}`);
  assert.equal(marker.hostname, golden.hostname);
  assert.equal(marker.machineId, golden.machineId);
  assert.equal(marker.diskBytes, golden.diskBytes);
  assert.equal(marker.firmware, 'bios');
  assert.equal(marker.mac, null, 'the trial VM has no NIC');
  assert.ok(report.consoleTail.length > 0 && report.consoleTail.length <= 20);
  assert.equal(report.consoleTail.at(-1)?.startsWith('RACKCAST-CLONE '), true);
  assert.match(result.stderr, /exporting golden@1/);
  assert.match(result.stderr, /booting golden@1: bios/);
  assert.match(result.stderr, /matched after [\d.]+ s/);
  await assertCleanedUp(dir);
  t.diagnostic(`boot to marker ${report.bootSeconds} s`);
});

test('golden@2 (boot sector wiped) --boot: RC_ERR_TRIAL_NO_MARKER with the console tail, nothing left behind', async (t) => {
  const { env: runEnv, dir } = await scratchEnv();
  const started = Date.now();
  const result = await runCli(['image', 'verify', 'golden@2', '--boot', '--timeout', '40', '--json'], runEnv, CLI_TIMEOUT_MS);
  assert.equal(result.code, 1, show(result));
  const { error } = parseJson<ErrorJson>(result);
  assert.equal(error.code, 'RC_ERR_TRIAL_NO_MARKER');
  assert.ok(error.details.consoleTail?.some((l) => /No bootable device/.test(l)), `console tail: ${error.details.consoleTail?.join('\n')}`);
  assert.match(result.stderr, /RC_ERR_TRIAL_NO_MARKER: golden@2 is not bootable under bios/);
  assert.ok(Date.now() - started < 45_000, 'the firmware\'s verdict ends it before the 40 s timeout');
  await assertCleanedUp(dir);
  t.diagnostic(`failed in ${((Date.now() - started) / 1000).toFixed(1)} s (${error.details.reason})`);
});

test('Ctrl-C while booting: exit 130, RC_ERR_TRIAL_CANCELLED, QEMU killed and the scratch disk removed', async () => {
  const { env: runEnv, dir } = await scratchEnv();
  const child = spawn(process.execPath, [CLI, 'image', 'verify', 'golden@1', '--boot', '--uefi'], { env: { ...process.env, ...runEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const killer = setTimeout(() => child.kill('SIGTERM'), CLI_TIMEOUT_MS);
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('booting golden@1')) resolve();
      });
      child.on('close', () => reject(new Error(`the CLI ended before booting:\n${stderr}`)));
    });
    // "booting" is printed just before QEMU starts: wait (bounded) until it runs on the scratch disk.
    for (let i = 0; i < 100 && (await processesUsing(dir)).length === 0; i++) await delay(100);
    assert.ok((await processesUsing(dir)).length > 0, 'QEMU runs on the scratch disk before Ctrl-C');
    child.kill('SIGINT');
    assert.equal(await closed, 130, stderr);
  } finally {
    clearTimeout(killer);
    // SIGTERM, not SIGKILL: the CLI must live to kill its VM (and free the store for the next test).
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await closed;
    }
  }
  assert.match(stderr, /RC_ERR_TRIAL_CANCELLED/);
  await assertCleanedUp(dir);
});

test('with a server holding the store, --boot exports through its API and boots', async () => {
  const config = loadConfig(undefined, { ...env, RACKCAST_HTTP_PORT: '0', RACKCAST_HTTP_HOST: '127.0.0.1' });
  const server = await startServer(config, silentLogger());
  try {
    const { env: runEnv, dir } = await scratchEnv();
    const result = await runCli(['image', 'verify', 'golden@1', '--boot', '--bios', '--json'], runEnv, CLI_TIMEOUT_MS);
    assert.equal(result.code, 0, show(result));
    const report = parseJson<TrialJson>(result);
    assert.equal(report.firmwareReason, 'forced');
    assert.ok(parseCloneMarker(report.matched), report.matched);
    await assertCleanedUp(dir);
  } finally {
    await server.stop();
  }
});

test('without --boot, verify re-hashes the version\'s blocks and reports it sound', async () => {
  const result = await runCli(['image', 'verify', 'golden@1', '--json'], env);
  assert.equal(result.code, 0, show(result));
  const report = parseJson<{ ok: boolean; version: number; problems: unknown[] }>(result);
  assert.deepEqual({ ok: report.ok, version: report.version, problems: report.problems }, { ok: true, version: 1, problems: [] });
});
