import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@rackcast/server';
import { LabNet, assertLabNetAvailable, type LabHost } from './helpers/netns.js';
import { tempDir } from './helpers/temp-dir.js';

// Transfers under packet loss between network namespaces this test creates: Rackcast's TFTP
// server in one, real clients (tftp-hpa, atftp, curl) in another, and nftables `numgen random`
// rules on the bridge dropping a share of the packets in each direction (DATA and OACK to the
// client, RRQ and ACK to the server). Every file must still arrive intact.

const SERVER_PROC = fileURLToPath(new URL('./helpers/tftp-server-proc.js', import.meta.url));
const CLIENT_TIMEOUT_MS = 180_000;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let work: Awaited<ReturnType<typeof tempDir>>;
let lab: LabNet;
let client: LabHost;
let serverProc: ChildProcess;
const serverLog: Record<string, unknown>[] = [];
const files = new Map<string, string>();
let fetchCount = 0;

async function startServer(root: string): Promise<void> {
  serverProc = lab.spawn(lab.sender, process.execPath, [SERVER_PROC, JSON.stringify({ host: lab.sender.ip, port: 69, root })]);
  createInterface({ input: serverProc.stderr ?? process.stdin }).on('line', (line) => {
    try { serverLog.push(JSON.parse(line) as Record<string, unknown>); } catch { /* not a log line */ }
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the TFTP server process did not start within 15 s')), 15_000);
    createInterface({ input: serverProc.stdout ?? process.stdin }).on('line', (line) => {
      if (line.startsWith('READY')) { clearTimeout(timer); resolve(); }
    });
    serverProc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the TFTP server process exited (${code})`)); });
  });
  await ready;
}

before(async () => {
  await assertLabNetAvailable();
  work = await tempDir('tftp-loss');
  const root = join(work.path, 'root');
  await mkdir(root);
  const ipxeDir = loadConfig(undefined, {}).boot.ipxeDir;
  for (const name of ['undionly.kpxe', 'snponly.efi', 'ipxe.efi']) {
    const bytes = await readFile(join(ipxeDir, name));
    await writeFile(join(root, name), bytes);
    files.set(name, sha(bytes));
  }
  const big = randomBytes(2 * 1024 * 1024 + 99);
  await writeFile(join(root, 'big.bin'), big);
  files.set('big.bin', sha(big));
  lab = await LabNet.create({ receivers: 1 });
  client = lab.receivers[0] as LabHost;
  await startServer(root);
});

after(async () => {
  await lab?.destroy();
  await work?.remove();
});

type Client = 'tftp-hpa' | 'atftp' | 'curl';

/** Fetches `name` inside the client's namespace and returns its SHA-256. */
async function fetchSha(kind: Client, name: string, options: Record<string, number> = {}): Promise<string> {
  const out = join(work.path, `got-${++fetchCount}`);
  const server = lab.sender.ip;
  const opts = Object.entries(options);
  if (kind === 'tftp-hpa') {
    await lab.exec(client, 'tftp', ['-m', 'octet', server, '69', '-c', 'get', name, out], CLIENT_TIMEOUT_MS);
  } else if (kind === 'atftp') {
    // atftp gives up after 5 timeouts of its own in a row by default; under 10 % loss in both
    // directions that happens now and then on the client side, so it gets more tries.
    await lab.exec(client, 'atftp', ['-g', '-r', name, '-l', out, '--tftp-timeout', '2', ...opts.flatMap(([k, v]) => ['--option', `${k} ${v}`]), server, '69'], CLIENT_TIMEOUT_MS);
  } else {
    await lab.exec(client, 'curl', ['-sS', '--max-time', '170', ...opts.flatMap(([, v]) => ['--tftp-blksize', String(v)]), '-o', out, `tftp://${server}/${name}`], CLIENT_TIMEOUT_MS);
  }
  const bytes = await readFile(out);
  await rm(out);
  return sha(bytes);
}

const CLIENTS: [Client, Record<string, number>][] = [
  ['tftp-hpa', {}],
  ['atftp', { blksize: 1468 }],
  ['atftp', { blksize: 1468, windowsize: 8 }],
  ['curl', { blksize: 1468 }],
];

function timeoutsLogged(from: number): number {
  return serverLog.slice(from).reduce((n, l) => n + (typeof l['timeouts'] === 'number' ? l['timeouts'] : 0), 0);
}

describe('TFTP under packet loss between namespaces', () => {
  test('3 % loss each way: every file with every client arrives intact', async () => {
    await lab.setLoss(client, 3);
    await lab.setLoss(lab.sender, 3);
    const from = serverLog.length;
    for (const [kind, options] of CLIENTS) {
      const runs = [...files].map(async ([name, want]) => assert.equal(await fetchSha(kind, name, options), want, `${kind} ${JSON.stringify(options)} ${name}`));
      await Promise.all(runs);
    }
    assert.ok(timeoutsLogged(from) > 0, 'packets were lost and the server retransmitted');
  });

  test('10 % loss each way: the iPXE binaries still arrive intact', async () => {
    await lab.setLoss(client, 10);
    await lab.setLoss(lab.sender, 10);
    const from = serverLog.length;
    for (const [kind, options] of CLIENTS) {
      await Promise.all(['undionly.kpxe', 'snponly.efi'].map(async (name) => assert.equal(await fetchSha(kind, name, options), files.get(name), `${kind} ${name}`)));
    }
    assert.ok(timeoutsLogged(from) > 10, `retransmissions under heavy loss (${timeoutsLogged(from)})`);
  });

  test('after the loss is lifted the server is idle and keeps serving', async () => {
    await lab.setLoss(client, 0);
    await lab.setLoss(lab.sender, 0);
    assert.equal(await fetchSha('tftp-hpa', 'undionly.kpxe'), files.get('undionly.kpxe'));
    assert.equal(serverProc.exitCode, null, 'the server process is still running');
  });
});
