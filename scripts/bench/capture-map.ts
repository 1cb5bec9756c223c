// Benchmark: how a capture finds and hashes the used blocks of a disk, on a 1 GiB and a 20 GiB
// sparse disk image (GPT, FAT32 ESP, ext4 holding the same ~530 MB of real system files), side
// by side in one run:
//   - ours with partclone's used-block map (`partclone.<fs> --domain`) + read and BLAKE3 hash;
//   - ours with zero detection over the whole disk (the fallback for unknown file systems);
//   - partclone itself imaging the ext4 partition (`partclone.extfs -c -O /dev/null`: reads the
//     used blocks, as Clonezilla captures), and `dd` reading the whole disk.
// Prints medians and ratios. NOTE: the images are sparse files, whose holes read at memory
// speed: on a real disk the zero scan reads every byte from the device (20 GiB at 500 MB/s is
// 43 s), while the bitmap map reads only what is used. Compare ratios, not absolute times.
//
// Usage: npx tsc -p scripts/bench && node scripts/bench/dist/capture-map.js [--sizes 1G,20G] [--runs 3] [--work DIR]
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildUsedMap, hashDisk, openCaptureSource, planBlocks, runTool } from '@rackcast/agent';
import { buildFileTree, buildRealDisk, TOOL_ENV as ENV } from './capture/real-disk.js';

const exec = promisify(execFile);
const BLOCK = 256 * 1024;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);

/** Wall time of `work` in seconds. */
async function timedRun<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

function timedTool(cmd: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30 * 60 * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e9);
    });
  });
}

interface Measured {
  readonly seconds: number;
  readonly blocks: number;
  readonly bytesRead: number;
}

/** Ours: map used blocks (partclone per partition, or nothing: a zero scan of the whole disk), read and hash them. */
async function ours(disk: string, parts: (n: number) => string | null, zeroScanOnly: boolean): Promise<Measured> {
  const { seconds, value } = await timedRun(async () => {
    const source = await openCaptureSource(disk, { partitionPath: parts });
    const map = zeroScanOnly
      ? { used: [], scan: [{ offset: 0, length: source.sizeBytes }], diskSize: source.sizeBytes, filesystems: [] }
      : await buildUsedMap(source, { runner: runTool, tmpDir: tmpdir() });
    if (!zeroScanOnly && !map.filesystems.every((f) => f.method === 'partclone')) throw new Error(`not every file system was mapped by partclone: ${JSON.stringify(map.filesystems)}`);
    const handle = await open(disk, 'r');
    try {
      return await hashDisk(handle, planBlocks(map.used, map.scan, map.diskSize, BLOCK), BLOCK, disk);
    } finally {
      await handle.close();
    }
  });
  return { seconds, blocks: value.blocks.length, bytesRead: value.bytesRead };
}

async function benchSize(work: string, tree: string, size: string, runs: number): Promise<string[]> {
  const disk = join(work, `disk-${size}.img`);
  const parts = (await buildRealDisk(disk, tree, size)).partitionPath;
  const t: Record<string, number[]> = { partclone: [], zero: [], peerImage: [], dd: [] };
  let mapped: Measured | null = null;
  let scanned: Measured | null = null;
  for (let run = 0; run < runs; run++) {
    // Interleaved per run, so a noisy neighbour hurts every variant alike.
    mapped = await ours(disk, parts, false);
    t['partclone']?.push(mapped.seconds);
    scanned = await ours(disk, parts, true);
    t['zero']?.push(scanned.seconds);
    t['peerImage']?.push(await timedTool('partclone.extfs', ['-c', '-f', '0', '-s', parts(2) ?? '', '-O', '/dev/null', '-L', join(work, 'pc.log')]));
    t['dd']?.push(await timedTool('dd', [`if=${disk}`, 'of=/dev/null', 'bs=4M', 'status=none']));
  }
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])) as Record<string, number>;
  const rows = [
    `| ${size} | ours, partclone map + read + BLAKE3 | ${m['partclone']?.toFixed(2)} | ${mapped?.blocks} | ${mb(mapped?.bytesRead ?? 0)} |`,
    `| ${size} | ours, zero detection + read + BLAKE3 | ${m['zero']?.toFixed(2)} | ${scanned?.blocks} | ${mb(scanned?.bytesRead ?? 0)} |`,
    `| ${size} | partclone.extfs -c (image of the ext4 used blocks, to /dev/null) | ${m['peerImage']?.toFixed(2)} | – | – |`,
    `| ${size} | dd the whole disk to /dev/null | ${m['dd']?.toFixed(2)} | – | ${mb(Number(size.replace(/G$/, '')) * 2 ** 30)} |`,
    `| ${size} | **ratio** zero detection / partclone map | ${((m['zero'] ?? 0) / (m['partclone'] ?? 1)).toFixed(2)} | | |`,
    `| ${size} | **ratio** ours (partclone map) / partclone.extfs -c | ${((m['partclone'] ?? 0) / (m['peerImage'] ?? 1)).toFixed(2)} | | |`,
  ];
  await rm(disk, { force: true });
  for (const n of [1, 2]) await rm(parts(n) ?? '', { force: true });
  return rows;
}

async function main(): Promise<void> {
  const sizes = arg('sizes', '1G,20G').split(',');
  const runs = Number(arg('runs', '3'));
  const work = await mkdtemp(join(arg('work', tmpdir()), 'rackcast-bench-capture-'));
  try {
    const tree = await buildFileTree(work);
    const rows: string[] = [];
    for (const size of sizes) {
      process.stderr.write(`${size}: building and measuring (${runs} runs)…\n`);
      rows.push(...await benchSize(work, tree, size, runs));
    }
    const load = (await exec('cat', ['/proc/loadavg'])).stdout.split(' ').slice(0, 3).join(' ');
    process.stdout.write(`\n${runs} runs, medians, block ${BLOCK / 1024} KiB; load average ${load}\n\n`);
    process.stdout.write('| disk | what | seconds | blocks kept | MB read |\n|---|---|---|---|---|\n');
    process.stdout.write(`${rows.join('\n')}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
