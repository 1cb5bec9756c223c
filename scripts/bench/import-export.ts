// Benchmark: Rackcast image import and export of a 1 GiB disk-like image, side by side in one
// run with `qemu-img convert` (raw → qcow2, raw → sparse raw) and `cp --sparse=always` on the
// same file. Prints medians, ratios (ours / peer) and store size against raw and qcow2 size.
// The machine is shared and noisy: compare the ratios, not the absolute times.
//
// Usage: node scripts/bench/dist/import-export.js [--size 1G] [--runs 3] [--work DIR]
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, cp as copyTree } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'server/bin/rackcast.js');
const makeDisk = join(root, 'scripts/make-test-disk.sh');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
}

/** Runs a command and returns its wall time in seconds; fails loudly on a non-zero exit. */
function timed(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20 * 60 * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e9);
    });
  });
}

/** Allocated bytes of a file or folder (du), which is what a sparse or compressed copy costs. */
async function allocated(path: string): Promise<number> {
  const { stdout } = await exec('du', ['-s', '--block-size=1', path]);
  return Number(stdout.split('\t')[0]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

async function buildDiskLikeImage(work: string, size: string): Promise<string> {
  // Real system files (libraries, docs, locales): the mix of binaries, text and compressed data
  // a captured disk holds. About half the ext4 partition is used.
  const tree = join(work, 'tree');
  await mkdir(tree, { recursive: true });
  for (const src of ['/usr/bin', '/usr/share/doc', '/usr/lib/python3.11', '/usr/share/perl', '/usr/share/i18n', '/usr/share/zoneinfo']) {
    await copyTree(src, join(tree, src.replaceAll('/', '_')), { recursive: true, verbatimSymlinks: true, errorOnExist: false }).catch(() => undefined);
  }
  const esp = join(work, 'esp');
  await mkdir(esp, { recursive: true });
  const img = join(work, 'disk.img');
  await exec('bash', [makeDisk, 'build', img, '--size', size, '--fat-size', '64M', '--ext4-from', tree], { maxBuffer: 1 << 24 });
  await rm(tree, { recursive: true, force: true });
  return img;
}

async function main(): Promise<void> {
  const size = arg('size', '1G');
  const runs = Number(arg('runs', '3'));
  const work = await mkdtemp(join(arg('work', tmpdir()), 'rackcast-bench-'));
  try {
    process.stdout.write(`building a ${size} disk-like image (GPT, FAT32 ESP, ext4 with system files)…\n`);
    const img = await buildDiskLikeImage(work, size);
    const rawSize = (await stat(img)).size;
    const rawAllocated = await allocated(img);
    // Rackcast's import and export fsync what they write, so each peer's time includes an
    // fsync of its output (`sync FILE`) too; the zlib-compressed qcow2 is the peer that, like
    // our store, compresses.
    const peers: Record<string, string> = {
      'qemu-img convert → qcow2': `qemu-img convert -f raw -O qcow2 "$1" "$2/out.qcow2" && sync "$2/out.qcow2"`,
      'qemu-img convert -c → qcow2 (zlib)': `qemu-img convert -c -f raw -O qcow2 "$1" "$2/out.cqcow2" && sync "$2/out.cqcow2"`,
      'qemu-img convert → raw': `qemu-img convert -f raw -O raw "$1" "$2/out.raw" && sync "$2/out.raw"`,
      'cp --sparse=always': `cp --sparse=always "$1" "$2/out.cp" && sync "$2/out.cp"`,
    };
    const times: Record<string, number[]> = { import: [], export: [], ...Object.fromEntries(Object.keys(peers).map((k) => [k, []])) };
    let cqcowBytes = 0;
    let storeBytes = 0;
    let qcowBytes = 0;
    for (let run = 0; run < runs; run++) {
      const store = join(work, `store-${run}`);
      const env = { ...process.env, RACKCAST_STORE_DIR: store };
      // Interleaved per run so a noisy neighbour hurts every tool alike.
      times['import']?.push(await timed(process.execPath, [cli, 'image', 'import', img, '--name', 'bench'], env));
      times['export']?.push(await timed(process.execPath, [cli, 'image', 'export', 'bench', join(work, 'out.img'), '--force'], env));
      for (const [name, script] of Object.entries(peers)) times[name]?.push(await timed('bash', ['-c', script, 'peer', img, work]));
      storeBytes = await allocated(store);
      qcowBytes = await allocated(join(work, 'out.qcow2'));
      cqcowBytes = await allocated(join(work, 'out.cqcow2'));
      for (const out of ['out.qcow2', 'out.cqcow2', 'out.raw', 'out.cp']) await rm(join(work, out), { force: true });
      const { stdout: a } = await exec('sha256sum', [img]);
      const { stdout: b } = await exec('sha256sum', [join(work, 'out.img')]);
      if (a.split(' ')[0] !== b.split(' ')[0]) throw new Error('export differs from the source image');
      await rm(store, { recursive: true, force: true });
      await rm(join(work, 'out.img'), { force: true });
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    const load = (await exec('cat', ['/proc/loadavg'])).stdout.split(' ').slice(0, 3).join(' ');
    process.stdout.write(`\nimage: ${mb(rawSize)} MB disk, ${mb(rawAllocated)} MB allocated; ${runs} runs, medians; export verified by sha256; load average ${load}\n\n`);
    process.stdout.write('| operation | seconds | MB/s of disk | ratio to import |\n|---|---|---|---|\n');
    for (const [k, s] of Object.entries(m)) process.stdout.write(`| ${k} | ${s.toFixed(2)} | ${mb(rawSize / s)} | ${((m['import'] ?? 0) / s).toFixed(2)} |\n`);
    process.stdout.write('\n| ratio | value |\n|---|---|\n');
    for (const peer of Object.keys(peers)) {
      process.stdout.write(`| import time / ${peer} | ${((m['import'] ?? 0) / (m[peer] ?? 1)).toFixed(2)} |\n`);
      process.stdout.write(`| export time / ${peer} | ${((m['export'] ?? 0) / (m[peer] ?? 1)).toFixed(2)} |\n`);
    }
    process.stdout.write(`\n| size | MB | ratio to raw allocated |\n|---|---|---|\n`);
    process.stdout.write(`| raw image (apparent) | ${mb(rawSize)} | ${(rawSize / rawAllocated).toFixed(2)} |\n`);
    process.stdout.write(`| raw image (allocated) | ${mb(rawAllocated)} | 1.00 |\n`);
    process.stdout.write(`| qcow2 (qemu-img convert) | ${mb(qcowBytes)} | ${(qcowBytes / rawAllocated).toFixed(2)} |\n`);
    process.stdout.write(`| qcow2 zlib (qemu-img convert -c) | ${mb(cqcowBytes)} | ${(cqcowBytes / rawAllocated).toFixed(2)} |\n`);
    process.stdout.write(`| Rackcast store (blocks + manifest + index) | ${mb(storeBytes)} | ${(storeBytes / rawAllocated).toFixed(2)} |\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
