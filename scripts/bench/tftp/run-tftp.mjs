#!/usr/bin/env node
// Rackcast's TFTP server vs tftpd-hpa, side by side in one run: the same file, the same real
// clients (tftp-hpa's tftp, atftp, curl) with the same options, the same network namespaces
// (one bridge, server in one namespace, client in another; test/helpers/netns.ts), with and
// without packet loss (nftables numgen drops on the bridge, both directions). Every fetched
// file is checked by SHA-256. Prints a table with ratios and writes
// scripts/bench/results/tftp.md (+ tftp.tsv, the raw rows).
//
// tftpd-hpa is not installed: fetch-tftpd-hpa.sh downloads and unpacks it under var/cache,
// and its in.tftpd runs in the foreground (-L) from there.
//
// Rackcast runs twice: "stream" (the default: files above 4 MiB are read by position in 1 MiB
// chunks with read-ahead) and "memory" (the whole file read at open), to measure that choice.
//
// Needs root and a build (npx tsc -b). Usage:
//   node scripts/bench/tftp/run-tftp.mjs [--size 50] [--reps 3] [--phases clean,lossy,heavy]
//     --size MB of the main file; clean = no loss; lossy = the main file at 0.1 % loss each
//     way; heavy = a 5 MB file at 1 % loss each way (the conditions of research/deps.md §2).
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const here = fileURLToPath(new URL('./', import.meta.url));
const { LabNet, assertLabNetAvailable } = await import(join(repo, 'test/dist/helpers/netns.js')).catch(() => {
  console.error('test/dist/helpers/netns.js is missing: run `npx tsc -b` first');
  process.exit(1);
});

// ------------------------------------------------------------------ arguments
const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const SIZE_MB = Number(arg('size', '50'));
const REPS = Number(arg('reps', '3'));
const PHASES = arg('phases', 'clean,lossy,heavy').split(',');
const HEAVY_MB = 5;
const TRANSFER_CAP_MS = 30 * 60_000;

// ------------------------------------------------------------------ what runs
/** Client cases: the same command against every server. `lossy`: also run under loss. */
const CASES = [
  { label: 'tftp-hpa client (512, lock-step)', client: 'tftp-hpa', options: {}, lossy: true },
  { label: 'atftp blksize 1468', client: 'atftp', options: { blksize: 1468 }, lossy: true },
  { label: 'atftp blksize 8192', client: 'atftp', options: { blksize: 8192 }, lossy: false },
  { label: 'atftp blksize 1468 windowsize 8', client: 'atftp', options: { blksize: 1468, windowsize: 8 }, lossy: true },
  { label: 'atftp blksize 8192 windowsize 16', client: 'atftp', options: { blksize: 8192, windowsize: 16 }, lossy: false },
  { label: 'curl blksize 1468', client: 'curl', options: { blksize: 1468 }, lossy: true },
  { label: 'curl blksize 8192', client: 'curl', options: { blksize: 8192 }, lossy: false },
];

function clientCommand(c, ip, port, name, out) {
  const opts = Object.entries(c.options);
  if (c.client === 'tftp-hpa') return ['tftp', '-m', 'octet', ip, String(port), '-c', 'get', name, out];
  if (c.client === 'atftp') return ['atftp', '-g', '-r', name, '-l', out, ...opts.flatMap(([k, v]) => ['--option', `${k} ${v}`]), ip, String(port)];
  return ['curl', '-sS', ...opts.flatMap(([, v]) => ['--tftp-blksize', String(v)]), '-o', out, `tftp://${ip}:${port}/${name}`];
}

// ------------------------------------------------------------------ helpers
function sha256File(path) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}

async function ensureFile(path, mb) {
  const bytes = mb * 1024 * 1024;
  if (!existsSync(path) || statSync(path).size !== bytes) {
    const fh = await open(path, 'w');
    for (let done = 0; done < bytes; done += 1024 * 1024) await fh.write(randomBytes(Math.min(1024 * 1024, bytes - done)));
    await fh.close();
  }
  return sha256File(path);
}

function run(cmd, args, capMs) {
  return new Promise((resolve) => {
    const started = globalThis.performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), capMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: globalThis.performance.now() - started });
    });
  });
}

function peakRssMb(pid) {
  try {
    const status = execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' });
    return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return null;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ------------------------------------------------------------------ servers
async function startServer(lab, name, cmd, args, env) {
  const child = lab.spawn(lab.sender, cmd, args, { env: { ...process.env, ...env } });
  const lines = [];
  createInterface({ input: child.stderr }).on('line', (l) => lines.push(l));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => (name === 'tftpd-hpa' ? resolve() : reject(new Error(`${name} did not start`))), name === 'tftpd-hpa' ? 500 : 15_000);
    createInterface({ input: child.stdout }).on('line', (l) => { if (l.startsWith('READY')) { clearTimeout(timer); resolve(); } });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited (${code}): ${lines.join('\n')}`)); });
  });
  return { name, child, lines };
}

// ------------------------------------------------------------------ main
await assertLabNetAvailable();
for (const tool of ['tftp', 'atftp', 'curl']) {
  try { execFileSync('which', [tool], { stdio: 'ignore' }); } catch { console.error(`${tool} missing: run scripts/install-deps.sh`); process.exit(1); }
}
const inTftpd = execFileSync(join(here, 'fetch-tftpd-hpa.sh'), { encoding: 'utf8' }).trim();
const tftpdLib = join(repo, 'var/cache/tftpd-hpa/root/usr/lib/x86_64-linux-gnu');
const work = join(repo, 'var/bench/tftp');
const root = join(work, 'root');
await mkdir(root, { recursive: true });
const mainName = `bench-${SIZE_MB}m.bin`;
const heavyName = `bench-${HEAVY_MB}m.bin`;
const shas = { [mainName]: await ensureFile(join(root, mainName), SIZE_MB), [heavyName]: await ensureFile(join(root, heavyName), HEAVY_MB) };

const lab = await LabNet.create({ receivers: 1, tag: 'tftpbench' });
const client = lab.receivers[0];
const ip = lab.sender.ip;
const PORTS = { stream: 69, memory: 70, 'tftpd-hpa': 71 };
const rows = [];
const rss = {};
try {
  const rackcast = (wholeFileLimit, port) => [process.execPath, [join(here, 'rackcast-tftp.mjs'), JSON.stringify({ host: ip, port, root, ...(wholeFileLimit === undefined ? {} : { wholeFileLimit }) })]];
  const servers = [
    await startServer(lab, 'stream', ...rackcast(undefined, PORTS.stream)),
    await startServer(lab, 'memory', ...rackcast(1024 * 1024 * 1024, PORTS.memory)),
    await startServer(lab, 'tftpd-hpa', inTftpd, ['-L', '-a', `${ip}:${PORTS['tftpd-hpa']}`, '-s', root, '-u', 'root'], { LD_LIBRARY_PATH: tftpdLib }),
  ];
  const out = join(work, 'fetched.bin');

  async function measure(phase, c, serverName, name, loss) {
    await rm(out, { force: true });
    const r = await run('ip', ['netns', 'exec', client.ns, ...clientCommand(c, ip, PORTS[serverName], name, out)], TRANSFER_CAP_MS);
    const ok = r.code === 0 && existsSync(out) && (await sha256File(out)) === shas[name];
    const bytes = statSync(join(root, name)).size;
    const row = { phase, case: c.label, server: serverName, file: name, loss, seconds: r.ms / 1000, mbps: ok ? bytes / (r.ms / 1000) / 1e6 : NaN, ok, load: loadavg()[0].toFixed(2), note: ok ? '' : (r.signal ? `killed after ${TRANSFER_CAP_MS / 60000} min` : r.stderr.trim().split('\n').pop()) };
    rows.push(row);
    console.log(`${phase.padEnd(6)} ${c.label.padEnd(34)} ${serverName.padEnd(10)} ${row.seconds.toFixed(2).padStart(8)} s ${ok ? `${row.mbps.toFixed(1).padStart(7)} MB/s` : `FAILED ${row.note}`}`);
  }

  const phases = [
    { phase: 'clean', file: mainName, loss: 0, reps: REPS, servers: ['stream', 'memory', 'tftpd-hpa'], cases: CASES },
    { phase: 'lossy', file: mainName, loss: 0.1, reps: 1, servers: ['stream', 'tftpd-hpa'], cases: CASES.filter((c) => c.lossy) },
    { phase: 'heavy', file: heavyName, loss: 1, reps: 1, servers: ['stream', 'tftpd-hpa'], cases: CASES.filter((c) => c.lossy) },
  ].filter((p) => PHASES.includes(p.phase));
  for (const p of phases) {
    await lab.setLoss(client, p.loss);
    await lab.setLoss(lab.sender, p.loss);
    for (let rep = 0; rep < p.reps; rep++) {
      for (const c of p.cases) {
        // Rotate the order per repetition so neither server always runs first.
        const order = p.servers.map((_, i) => p.servers[(i + rep) % p.servers.length]);
        for (const s of order) await measure(p.phase, c, s, p.file, p.loss);
      }
    }
    if (p.phase === 'clean') for (const s of servers.filter((x) => x.name !== 'tftpd-hpa')) rss[s.name] = peakRssMb(s.child.pid);
  }
  await lab.setLoss(client, 0);
  await lab.setLoss(lab.sender, 0);
} finally {
  await lab.destroy();
}

// ------------------------------------------------------------------ report
const tsv = [Object.keys(rows[0] ?? {}).join('\t'), ...rows.map((r) => Object.values(r).map((v) => (typeof v === 'number' ? v.toFixed(3) : String(v))).join('\t'))].join('\n');
await writeFile(join(repo, 'scripts/bench/results/tftp.tsv'), `${tsv}\n`);

function table(phase) {
  const inPhase = rows.filter((r) => r.phase === phase);
  if (inPhase.length === 0) return '';
  const servers = [...new Set(inPhase.map((r) => r.server))];
  const cases = [...new Set(inPhase.map((r) => r.case))];
  const head = `| case | ${servers.map((s) => `${s === 'tftpd-hpa' ? s : `rackcast ${s}`} MB/s`).join(' | ')} | ${servers.filter((s) => s !== 'tftpd-hpa').map((s) => `${s} / tftpd-hpa`).join(' | ')} |`;
  const lines = [head, `|${'---|'.repeat(1 + servers.length + servers.length - 1)}`];
  for (const c of cases) {
    const cell = (s) => {
      const rs = inPhase.filter((r) => r.case === c && r.server === s);
      const failed = rs.filter((r) => !r.ok).length;
      return { mbps: median(rs.filter((r) => r.ok).map((r) => r.mbps)), runs: rs.length, failed };
    };
    const cells = servers.map(cell);
    const fmt = (x) => (Number.isNaN(x.mbps) ? `failed ${x.failed}/${x.runs}` : `${x.mbps.toFixed(1)}${x.failed ? ` (${x.failed}/${x.runs} failed)` : ''}`);
    const hpa = cells[servers.indexOf('tftpd-hpa')];
    const ratios = servers.filter((s) => s !== 'tftpd-hpa').map((s) => (hpa && !Number.isNaN(hpa.mbps) ? `${(cells[servers.indexOf(s)].mbps / hpa.mbps).toFixed(2)}×` : 'n/a'));
    lines.push(`| ${c} | ${cells.map(fmt).join(' | ')} | ${ratios.join(' | ')} |`);
  }
  return lines.join('\n');
}

const report = { clean: table('clean'), lossy: table('lossy'), heavy: table('heavy') };
console.log(`\n${Object.entries(report).filter(([, t]) => t).map(([p, t]) => `${p}\n${t}`).join('\n\n')}`);
console.log(`\npeak RSS of the rackcast servers (MB): ${JSON.stringify(rss)}`);
const template = await readFile(join(here, 'results-template.md'), 'utf8').catch(() => null);
if (template !== null) {
  const filled = template
    .replace('{{date}}', new Date().toISOString().slice(0, 10))
    .replace('{{size}}', String(SIZE_MB)).replace('{{reps}}', String(REPS))
    .replace('{{clean}}', report.clean).replace('{{lossy}}', report.lossy).replace('{{heavy}}', report.heavy)
    .replace('{{rss}}', Object.entries(rss).map(([k, v]) => `${k} ${v} MB`).join(', '))
    .replace('{{node}}', process.version);
  await writeFile(join(repo, 'scripts/bench/results/tftp.md'), filled);
}
