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
//   node scripts/bench/tftp/run-tftp.mjs [--size 50] [--reps 3] [--phases clean,lossy,heavy,parallel] [--report-only]
//     --size MB of the main file; clean = no loss; lossy = the main file at 0.1 % loss each
//     way; heavy = a 5 MB file at 1 % loss each way (the conditions of research/deps.md §2);
//     parallel = 8 clients at once, no loss (aggregate MB/s and the servers' peak RSS).
//     Rows of the phases not run this time are kept from results/tftp.tsv, so one phase can be
//     run again alone; --report-only rebuilds tftp.md from tftp.tsv.
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
const PHASES = argv.includes('--report-only') ? [] : arg('phases', 'clean,lossy,heavy,parallel').split(',');
const TSV = join(repo, 'scripts/bench/results/tftp.tsv');
const MD = join(repo, 'scripts/bench/results/tftp.md');
const HEAVY_MB = 5;
const PARALLEL = 8;
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

// ------------------------------------------------------------------ earlier rows
/** Rows of tftp.tsv from phases this run does not repeat. */
async function keptRows() {
  const text = await readFile(TSV, 'utf8').catch(() => '');
  const [head, ...lines] = text.trim().split('\n');
  if (!head) return [];
  const keys = head.split('\t');
  const numeric = new Set(['loss', 'seconds', 'mbps', 'bytes']);
  return lines.map((line) => Object.fromEntries(line.split('\t').map((v, i) => {
    const k = keys[i];
    return [k, numeric.has(k) ? Number(v) : k === 'ok' ? v === 'true' : v];
  }))).filter((r) => !PHASES.includes(r.phase));
}

const rows = await keptRows();
const rss = {};
if (PHASES.length > 0) await measureAll();

// ------------------------------------------------------------------ main
async function measureAll() {
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
const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
try {
  const rackcast = (wholeFileLimit, port) => [process.execPath, [join(here, 'rackcast-tftp.mjs'), JSON.stringify({ host: ip, port, root, ...(wholeFileLimit === undefined ? {} : { wholeFileLimit }) })]];
  const servers = [
    await startServer(lab, 'stream', ...rackcast(undefined, PORTS.stream)),
    await startServer(lab, 'memory', ...rackcast(1024 * 1024 * 1024, PORTS.memory)),
    await startServer(lab, 'tftpd-hpa', inTftpd, ['-L', '-a', `${ip}:${PORTS['tftpd-hpa']}`, '-s', root, '-u', 'root'], { LD_LIBRARY_PATH: tftpdLib }),
  ];
  const out = join(work, 'fetched.bin');

  /** `parallel` clients fetch at once; the row's MB/s is their aggregate. */
  async function measure(phase, c, serverName, name, loss, parallel = 1) {
    const outs = Array.from({ length: parallel }, (_, i) => `${out}.${i}`);
    await Promise.all(outs.map((o) => rm(o, { force: true })));
    const started = globalThis.performance.now();
    const results = await Promise.all(outs.map((o) => run('ip', ['netns', 'exec', client.ns, ...clientCommand(c, ip, PORTS[serverName], name, o)], TRANSFER_CAP_MS)));
    const ms = globalThis.performance.now() - started;
    const checks = await Promise.all(outs.map(async (o, i) => results[i].code === 0 && existsSync(o) && (await sha256File(o)) === shas[name]));
    const ok = checks.every(Boolean);
    const failed = results.find((r, i) => !checks[i]);
    const bytes = statSync(join(root, name)).size;
    const note = ok ? '' : failed?.signal ? `killed after ${TRANSFER_CAP_MS / 60000} min` : failed?.stderr.trim().split('\n').pop();
    const label = parallel > 1 ? `${parallel} × ${c.label}` : c.label;
    const row = { date, phase, case: label, server: serverName, file: name, bytes: bytes * parallel, loss, seconds: ms / 1000, mbps: ok ? (bytes * parallel) / (ms / 1000) / 1e6 : NaN, ok, load: loadavg()[0].toFixed(2), note };
    rows.push(row);
    console.log(`${phase.padEnd(6)} ${c.label.padEnd(34)} ${serverName.padEnd(10)} ${row.seconds.toFixed(2).padStart(8)} s ${ok ? `${row.mbps.toFixed(1).padStart(7)} MB/s` : `FAILED ${row.note}`}`);
  }

  const phases = [
    { phase: 'clean', file: mainName, loss: 0, reps: REPS, servers: ['stream', 'memory', 'tftpd-hpa'], cases: CASES },
    { phase: 'lossy', file: mainName, loss: 0.1, reps: 1, servers: ['stream', 'tftpd-hpa'], cases: CASES.filter((c) => c.lossy) },
    { phase: 'heavy', file: heavyName, loss: 1, reps: 1, servers: ['stream', 'tftpd-hpa'], cases: CASES.filter((c) => c.lossy) },
    { phase: 'parallel', file: mainName, loss: 0, reps: 1, parallel: PARALLEL, servers: ['stream', 'memory', 'tftpd-hpa'], cases: CASES.filter((c) => c.label === 'atftp blksize 1468 windowsize 8') },
  ].filter((p) => PHASES.includes(p.phase));
  for (const p of phases) {
    await lab.setLoss(client, p.loss);
    await lab.setLoss(lab.sender, p.loss);
    for (let rep = 0; rep < p.reps; rep++) {
      for (const c of p.cases) {
        // Rotate the order per repetition so neither server always runs first.
        const order = p.servers.map((_, i) => p.servers[(i + rep) % p.servers.length]);
        for (const s of order) await measure(p.phase, c, s, p.file, p.loss, p.parallel);
      }
    }
    // VmHWM only grows: after clean it is the peak of single transfers, after parallel of N at once.
    if (p.phase === 'clean' || p.phase === 'parallel') {
      for (const s of servers.filter((x) => x.name !== 'tftpd-hpa')) rss[`${s.name} after ${p.phase}`] = peakRssMb(s.child.pid);
    }
  }
  await lab.setLoss(client, 0);
  await lab.setLoss(lab.sender, 0);
} finally {
  await lab.destroy();
}
}

// ------------------------------------------------------------------ report
const COLUMNS = ['date', 'phase', 'case', 'server', 'file', 'bytes', 'loss', 'seconds', 'mbps', 'ok', 'load', 'note'];
const tsv = [COLUMNS.join('\t'), ...rows.map((r) => COLUMNS.map((k) => (typeof r[k] === 'number' ? (Number.isInteger(r[k]) ? String(r[k]) : r[k].toFixed(3)) : String(r[k] ?? ''))).join('\t'))].join('\n');
if (PHASES.length > 0) await writeFile(TSV, `${tsv}\n`);

function table(phase) {
  const inPhase = rows.filter((r) => r.phase === phase);
  if (inPhase.length === 0) return '';
  const servers = [...new Set(inPhase.map((r) => r.server))];
  const cases = [...new Set(inPhase.map((r) => r.case))];
  const head = `| case | ${servers.map((s) => `${s === 'tftpd-hpa' ? s : `rackcast ${s}`} MB/s`).join(' | ')} | ${servers.filter((s) => s !== 'tftpd-hpa').map((s) => `${s} / tftpd-hpa`).join(' | ')} | seconds (${servers.join(' / ')}) |`;
  const lines = [head, `|${'---|'.repeat(2 + servers.length + servers.length - 1)}`];
  for (const c of cases) {
    const cell = (s) => {
      const rs = inPhase.filter((r) => r.case === c && r.server === s);
      const failed = rs.filter((r) => !r.ok).length;
      const ok = rs.filter((r) => r.ok);
      // From bytes and seconds, not the rounded mbps column of tftp.tsv.
      return { mbps: median(ok.map((r) => r.bytes / r.seconds / 1e6)), seconds: median(ok.map((r) => r.seconds)), runs: rs.length, failed };
    };
    const cells = servers.map(cell);
    const mbps = (x) => (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
    const fmt = (x) => (Number.isNaN(x.mbps) ? `failed ${x.failed}/${x.runs}` : `${mbps(x.mbps)}${x.failed ? ` (${x.failed}/${x.runs} failed)` : ''}`);
    const hpa = cells[servers.indexOf('tftpd-hpa')];
    const ratios = servers.filter((s) => s !== 'tftpd-hpa').map((s) => (hpa && !Number.isNaN(hpa.mbps) ? `${(cells[servers.indexOf(s)].mbps / hpa.mbps).toFixed(2)}×` : 'n/a'));
    lines.push(`| ${c} | ${cells.map(fmt).join(' | ')} | ${ratios.join(' | ')} | ${cells.map((x) => (Number.isNaN(x.seconds) ? '-' : x.seconds.toFixed(2))).join(' / ')} |`);
  }
  const dates = [...new Set(inPhase.map((r) => r.date))].join(', ');
  const loads = inPhase.map((r) => Number(r.load));
  return `${lines.join('\n')}\n\nRun ${dates}; load average ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} during the phase.`;
}

const report = { clean: table('clean'), lossy: table('lossy'), heavy: table('heavy'), parallel: table('parallel') };
console.log(`\n${Object.entries(report).filter(([, t]) => t).map(([p, t]) => `${p}\n${t}`).join('\n\n')}`);
// Peak RSS is only known for a run that measured the clean phase; otherwise keep the old line.
const oldMd = await readFile(MD, 'utf8').catch(() => '');
const rssLine = Object.keys(rss).length > 0
  ? Object.entries(rss).map(([k, v]) => `${k} ${v} MB`).join(', ')
  : (/Peak RSS of the Rackcast server processes: (.*)\.$/m.exec(oldMd)?.[1] ?? 'not measured');
console.log(`\npeak RSS of the rackcast servers (MB): ${rssLine}`);
const cleanReps = Math.max(0, ...rows.filter((r) => r.phase === 'clean').map((r) => rows.filter((x) => x.phase === 'clean' && x.case === r.case && x.server === r.server).length));
const sizeMb = Math.round((rows.find((r) => r.phase === 'clean')?.bytes ?? SIZE_MB * 1024 * 1024) / 1024 / 1024);
const template = await readFile(join(here, 'results-template.md'), 'utf8');
const filled = template
  .replaceAll('{{size}}', String(sizeMb)).replaceAll('{{reps}}', String(cleanReps))
  .replace('{{clean}}', report.clean).replace('{{lossy}}', report.lossy).replace('{{heavy}}', report.heavy).replace('{{parallel}}', report.parallel)
  .replace('{{rss}}', rssLine)
  .replace('{{node}}', process.version);
await writeFile(MD, filled);
