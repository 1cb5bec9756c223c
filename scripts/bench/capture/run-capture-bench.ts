// Benchmark: full capture and incremental captures (1 % and 10 % of the used blocks changed) of
// the same disk over a 1 Gbit/s link, against partclone.ext4 + lz4 piped over the same link for
// the full case. Bytes on the wire are the veth's counters at the agent's end (both directions,
// every header included), wall time is the capturing process's. Prints medians of --runs runs
// and the ratios; --tsv FILE writes the raw rows.
//
// The disk: a sparse GPT disk (--size, default 2G) with a FAT32 ESP and an ext4 partition holding
// ~530 MB of this host's system files (real-disk.ts). The changed disks are copies in which one
// file data block was rewritten in k % of the used store blocks (change-blocks.ts). Every run
// starts a server on an empty store and captures, in order: the disk (full); the 1 % disk (a
// delta against the full version); the disk again as a second image (nothing to upload: all its
// blocks are stored) and the 10 % disk against that one; then the peer.
//
// Needs root (network namespaces), iproute2, e2fsprogs, partclone and lz4.
// Usage: npx tsc -b && node scripts/bench/dist/capture/run-capture-bench.js [--size 2G] [--runs 3] [--rate 1gbit] [--concurrency 4] [--work DIR] [--tsv FILE]
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { captureCase, peerCase, RackcastServer, type CaptureMeasured, type Measured, type PeerMeasured } from './cases.js';
import { changeBlocks, checkExt } from './change-blocks.js';
import { BenchLink } from './link.js';
import { buildFileTree, buildRealDisk } from './real-disk.js';

const exec = promisify(execFile);
const STORE_BLOCK = 256 * 1024;
const CASES = ['full', 'incremental 1 %', 'incremental 10 %'] as const;
type CaseName = (typeof CASES)[number] | 'partclone.ext4 + lz4 -1';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const loadAverage = async (): Promise<string> => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');

interface Row {
  readonly run: number;
  readonly name: CaseName;
  readonly m: Measured;
  readonly load: string;
}

interface Disks {
  readonly base: string;
  readonly partition: string;
  readonly changed: Record<'incremental 1 %' | 'incremental 10 %', string>;
  readonly counts: Record<string, { usedBlocks: number; changedBlocks: number }>;
}

async function prepareDisks(work: string, size: string): Promise<Disks> {
  process.stderr.write(`building the ${size} disk…\n`);
  const tree = await buildFileTree(work);
  const base = await buildRealDisk(join(work, 'disk.img'), tree, size);
  await rm(tree, { recursive: true, force: true });
  const changed = { 'incremental 1 %': join(work, 'disk-1pc.img'), 'incremental 10 %': join(work, 'disk-10pc.img') };
  const counts: Disks['counts'] = {};
  for (const [name, path, share, seed] of [['incremental 1 %', changed['incremental 1 %'], 0.01, 1], ['incremental 10 %', changed['incremental 10 %'], 0.1, 10]] as const) {
    await exec('cp', ['--sparse=always', base.path, path]);
    counts[name] = await changeBlocks(path, share, STORE_BLOCK, seed);
    await checkExt(path);
    process.stderr.write(`${name}: rewrote one file block in ${counts[name]?.changedBlocks} of ${counts[name]?.usedBlocks} used store blocks (e2fsck clean)\n`);
  }
  return { base: base.path, partition: base.partitionPath(2) ?? '', changed, counts };
}

async function oneRun(run: number, link: BenchLink, disks: Disks, work: string, sysRoot: string, concurrency: number): Promise<Row[]> {
  const store = join(work, `store-${run}`);
  const server = await RackcastServer.start(link, store);
  const rows: Row[] = [];
  const add = async (name: CaseName, m: Measured): Promise<void> => {
    rows.push({ run, name, m, load: await loadAverage() });
    process.stderr.write(`run ${run}: ${name}: ${m.seconds.toFixed(2)} s, ${(m.wireBytes / 1e6).toFixed(2)} MB on the wire\n`);
  };
  try {
    await add('full', await captureCase(link, server, 'bench', disks.base, sysRoot, concurrency));
    await add('incremental 1 %', await captureCase(link, server, 'bench', disks.changed['incremental 1 %'], sysRoot, concurrency));
    // The 10 % case needs the unchanged disk as its base: a second image, whose blocks are all stored already.
    await captureCase(link, server, 'bench-b', disks.base, sysRoot, concurrency);
    await add('incremental 10 %', await captureCase(link, server, 'bench-b', disks.changed['incremental 10 %'], sysRoot, concurrency));
  } finally {
    await server.stop();
  }
  await add('partclone.ext4 + lz4 -1', await peerCase(link, disks.partition, join(store, 'peer.pcl.lz4'), join(work, 'partclone.log')));
  await rm(store, { recursive: true, force: true });
  return rows;
}

function tsv(rows: readonly Row[]): string {
  const head = ['run', 'case', 'wall_s', 'wire_bytes', 'offer', 'blocks', 'offered', 'uploaded_blocks', 'agent_map_s', 'agent_hash_s', 'agent_upload_s', 'agent_total_s', 'server_offer_bytes', 'server_fingerprint_bytes', 'server_frame_bytes', 'peer_image_bytes', 'load1'];
  const lines = rows.map(({ run, name, m, load }) => {
    const c = 'offer' in m ? (m as CaptureMeasured) : null;
    const p = 'imageBytes' in m ? (m as PeerMeasured) : null;
    return [run, name, m.seconds.toFixed(3), m.wireBytes, c?.offer ?? '', c?.blocks ?? '', c?.offered ?? '', c?.uploadedBlocks ?? '', c?.agentSeconds.map ?? '', c?.agentSeconds.hash ?? '', c?.agentSeconds.upload ?? '', c?.agentSeconds.total ?? '',
      c?.server.offerBytes ?? '', c?.server.fingerprintBytes ?? '', c?.server.frameBytes ?? '', p?.imageBytes ?? '', load.split(' ')[0]].join('\t');
  });
  return `${[head.join('\t'), ...lines].join('\n')}\n`;
}

function table(rows: readonly Row[], disks: Disks): string {
  const of = (name: CaseName): Row[] => rows.filter((r) => r.name === name);
  const med = (name: CaseName, f: (m: Measured) => number): number => median(of(name).map((r) => f(r.m)));
  const full = { s: med('full', (m) => m.seconds), b: med('full', (m) => m.wireBytes) };
  const out = ['| case | changed blocks | offered / uploaded blocks | wall s | agent map / hash / upload s | wire MB | server: offer + fingerprints + frames MB | bytes / full | time / full |', '|---|---|---|---|---|---|---|---|---|'];
  const phases = (name: CaseName): string => {
    const captures = of(name).map((r) => r.m).filter((m): m is CaptureMeasured => 'offer' in m);
    if (captures.length === 0) return '–';
    return (['map', 'hash', 'upload'] as const).map((k) => median(captures.map((m) => m.agentSeconds[k])).toFixed(2)).join(' / ');
  };
  for (const name of [...CASES, 'partclone.ext4 + lz4 -1'] as const) {
    const last = of(name).at(-1)?.m;
    const c = last && 'offer' in last ? (last as CaptureMeasured) : null;
    const s = med(name, (m) => m.seconds);
    const b = med(name, (m) => m.wireBytes);
    const protocol = c ? ((c.server.offerBytes + c.server.fingerprintBytes + c.server.frameBytes) / 1e6).toFixed(2) : '–';
    const changed = name === 'full' ? `– (${c?.blocks} captured)` : disks.counts[name] ? `${disks.counts[name]?.changedBlocks} of ${disks.counts[name]?.usedBlocks}` : '–';
    out.push(`| ${name} | ${changed} | ${c ? `${c.offer}: ${c.offered} / ${c.uploadedBlocks}` : '–'} | ${s.toFixed(2)} | ${phases(name)} | ${(b / 1e6).toFixed(2)} | ${protocol} | ${(b / full.b).toFixed(3)} | ${(s / full.s).toFixed(3)} |`);
  }
  const peer = { s: med('partclone.ext4 + lz4 -1', (m) => m.seconds), b: med('partclone.ext4 + lz4 -1', (m) => m.wireBytes) };
  out.push('', `ours full / partclone.ext4 + lz4 -1: bytes ${(full.b / peer.b).toFixed(3)}, time ${(full.s / peer.s).toFixed(3)}`);
  return out.join('\n');
}

async function main(): Promise<void> {
  const size = arg('size', '2G');
  const runs = Number(arg('runs', '3'));
  const rate = arg('rate', '1gbit');
  const tsvOut = arg('tsv', '');
  const concurrency = Number(arg('concurrency', '4'));
  if (process.getuid?.() !== 0) throw new Error('run as root: the benchmark creates network namespaces');
  const work = await mkdtemp(join(arg('work', tmpdir()), 'rackcast-bench-capture-'));
  let link: BenchLink | null = null;
  try {
    const disks = await prepareDisks(work, size);
    // A machine booted by BIOS firmware (firmware/ without efi/): no efibootmgr on the bench host.
    const sysRoot = join(work, 'sys');
    await mkdir(join(sysRoot, 'firmware'), { recursive: true });
    link = await BenchLink.create('rc-capb', 77, rate);
    const rows: Row[] = [];
    for (let run = 1; run <= runs; run++) rows.push(...await oneRun(run, link, disks, work, sysRoot, concurrency));
    if (tsvOut) await writeFile(tsvOut, tsv(rows));
    process.stdout.write(`\n${size} disk, link ${rate} (tc tbf both ways), store block ${STORE_BLOCK / 1024} KiB, ${concurrency} uploads in flight; medians of ${runs} runs; load average at the end ${await loadAverage()}\n\n`);
    process.stdout.write(`${table(rows, disks)}\n`);
  } finally {
    link?.destroy();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
