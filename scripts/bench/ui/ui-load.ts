// Benchmark: page loads of the dashboard with a full store — 500 registered machines (rack
// server profiles, 50 events each) and 20 deploy sessions of 25 machines — in headless
// Chromium (Debian's, driven by playwright-core). Each load is a fresh browser context (no
// cache), timed from navigation start to the first frame where the page's rows are all in the
// DOM. Prints the median of several loads per page against the budget, the bundle size and what
// the events socket's snapshot weighs; exits 1 when a median is over budget.
// There is no peer to run beside it: the budget is the yardstick.
//
// Usage: node scripts/bench/dist/ui/ui-load.js [--machines 500] [--sessions 20] [--runs 7] [--budget-ms 1000]
import { randomBytes, randomInt } from 'node:crypto';
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import WebSocket from 'ws';
import { importImage, loadConfig, LOCAL_ACTOR, SESSION_COOKIE, silentLogger, startServer, type RunningServer } from '@rackcast/server';
import { createDeploys, registerFleet } from './fill-store.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1] ?? fallback) : fallback;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** A sparse 64 MiB raw disk with an MBR signature and 8 MiB of data: enough for a deploy plan. */
async function writeImage(path: string): Promise<void> {
  const { open } = await import('node:fs/promises');
  const handle = await open(path, 'w');
  try {
    await handle.truncate(64 * 2 ** 20);
    const head = Buffer.alloc(8 * 2 ** 20, 0x5a);
    head[510] = 0x55;
    head[511] = 0xaa;
    await handle.write(head, 0, head.byteLength, 0);
  } finally {
    await handle.close();
  }
}

interface PageCase {
  readonly name: string;
  readonly hash: string;
  /** A JS expression true once the page is fully rendered. */
  readonly rendered: string;
}

/** One cold load: a new context, navigation, then performance.now() at the first frame where `rendered` holds, and the socket bytes. */
async function loadOnce(browser: Browser, url: string, c: PageCase, session: string): Promise<{ ms: number; socketBytes: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await context.addCookies([{ name: SESSION_COOKIE, value: session, url, httpOnly: true, sameSite: 'Strict' }]);
    const page = await context.newPage();
    let socketBytes = 0;
    page.on('websocket', (ws) => ws.on('framereceived', (f) => { socketBytes += typeof f.payload === 'string' ? Buffer.byteLength(f.payload) : f.payload.byteLength; }));
    await page.goto(`${url}/${c.hash}`);
    const handle = await page.waitForFunction(`(${c.rendered}) ? performance.now() : false`, undefined, { timeout: 30_000 });
    return { ms: Number(await handle.jsonValue()), socketBytes };
  } finally {
    await context.close();
  }
}

/** Milliseconds from opening the events socket (a client in this process) to the end of its snapshot (machines, sessions, images). */
function snapshotMs(url: string, auth: Readonly<Record<string, string>>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const ws = new WebSocket(`${url.replace('http:', 'ws:')}/api/events`, { headers: auth });
    let seen = 0;
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('no snapshot in 30 s')); }, 30_000);
    ws.on('message', () => {
      if (++seen < 3) return;
      clearTimeout(timer);
      resolve(performance.now() - started);
      ws.close();
    });
    ws.on('error', reject);
  });
}

/** A viewer account logged in through the API: the dashboard pages load with its session cookie. */
async function benchLogin(server: RunningServer): Promise<string> {
  const password = randomBytes(12).toString('hex');
  await server.auth.accounts.addUser('ui-bench', password, 'viewer');
  const res = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ui-bench', password }) });
  const value = /rackcast_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!value) throw new Error(`bench login failed: HTTP ${res.status}`);
  return value;
}

async function bundleSizes(): Promise<{ file: string; bytes: number; gzip: number }[]> {
  const dir = join(root, 'server/ui/dist/assets');
  const files = (await readdir(dir)).filter((f) => /\.(js|css)$/.test(f));
  return Promise.all(files.map(async (file) => {
    const data = await readFile(join(dir, file));
    return { file, bytes: data.byteLength, gzip: gzipSync(data, { level: 9 }).byteLength };
  }));
}

async function main(): Promise<void> {
  const machines = arg('machines', 500);
  const sessions = arg('sessions', 20);
  const runs = arg('runs', 7);
  const budgetMs = arg('budget-ms', 1000);
  const work = await mkdtemp(join(tmpdir(), 'rackcast-ui-bench-'));
  const base = loadConfig(undefined, { RACKCAST_STORE_DIR: join(work, 'store'), RACKCAST_HTTP_PORT: '0' });
  const config = { ...base, multicast: { ...base.multicast, interface: '127.0.0.1', groupBase: `239.${randomInt(100, 200)}.${randomInt(0, 200)}.0`, portBase: randomInt(20_000, 40_000) } };
  const server = await startServer(config, silentLogger());
  let browser: Browser | null = null;
  try {
    const image = join(work, 'fleet.img');
    await writeImage(image);
    await importImage(server.store, { file: image, name: 'fleet' });
    let t = Date.now();
    const macs = await registerFleet(server, machines, 50);
    console.log(`filled: ${machines} machines with 50 events each in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    const { secret } = await server.auth.accounts.createToken({ name: LOCAL_ACTOR, role: 'admin', via: 'local', account: LOCAL_ACTOR }, 'ui-bench', 'operator');
    const auth = { authorization: `Bearer ${secret}` };
    const session = await benchLogin(server);
    const ids = await createDeploys(server.url, auth, 'fleet', macs, sessions, 2);
    console.log(`filled: ${sessions} deploy sessions of ${Math.floor(machines / sessions)} machines (2 waiting, the rest cancelled) in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
    const per = Math.floor(machines / sessions);
    const cases: PageCase[] = [
      { name: `Machines (${machines} rows)`, hash: '#/machines', rendered: `document.querySelectorAll('tr[data-mac]').length === ${machines}` },
      { name: `Sessions (${sessions} rows)`, hash: '#/sessions', rendered: `document.querySelectorAll('tr[data-session]').length === ${sessions}` },
      { name: `Session page (${per} machines)`, hash: `#/sessions/${ids[0] ?? 1}`, rendered: `document.querySelectorAll('tr[data-line]').length === ${per}` },
    ];
    let over = false;
    console.log(`\n| page | median ms | min | max | budget ms | snapshot over the socket |\n|---|---|---|---|---|---|`);
    for (const c of cases) {
      await loadOnce(browser, server.url, c, session); // warm-up: server JIT and the OS page cache
      const loads = [];
      for (let i = 0; i < runs; i++) loads.push(await loadOnce(browser, server.url, c, session));
      const ms = loads.map((l) => l.ms);
      const m = median(ms);
      over ||= m > budgetMs;
      console.log(`| ${c.name} | ${m.toFixed(0)} | ${Math.min(...ms).toFixed(0)} | ${Math.max(...ms).toFixed(0)} | ${budgetMs} ${m > budgetMs ? '(OVER)' : ''} | ${(median(loads.map((l) => l.socketBytes)) / 1024).toFixed(0)} KiB |`);
    }
    const snapshots = [];
    for (let i = 0; i <= runs; i++) snapshots.push(await snapshotMs(server.url, auth));
    console.log(`\nevents socket: open to end of snapshot, median ${median(snapshots.slice(1)).toFixed(0)} ms (${runs} runs, from this process)`);
    const sizes = await bundleSizes();
    console.log(`\nbundle: ${sizes.map((s) => `${s.file} ${(s.bytes / 1024).toFixed(1)} KiB (gzip ${(s.gzip / 1024).toFixed(1)} KiB)`).join(', ')}`);
    console.log(`bundle total: ${(sizes.reduce((a, s) => a + s.bytes, 0) / 1024).toFixed(1)} KiB, gzip ${(sizes.reduce((a, s) => a + s.gzip, 0) / 1024).toFixed(1)} KiB`);
    if (over) {
      console.log(`\nOVER BUDGET: a median page load took more than ${budgetMs} ms`);
      process.exitCode = 1;
    }
  } finally {
    await browser?.close();
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
