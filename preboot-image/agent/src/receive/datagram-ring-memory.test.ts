import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';

// The batched receive addon is C: a lifetime mistake there is a use-after-free that crashes
// the agent only sometimes (CI once died of SIGSEGV from a close() on a ring freed a loop
// turn earlier). Plain tests cannot see such a mistake; memcheck can. This runs the addon's
// whole lifecycle in a child node under valgrind and requires zero invalid accesses.
const ADDON = createRequire(import.meta.url).resolve('@rackcast/datagram-ring');
const SOCKOPT = createRequire(import.meta.url).resolve('sockopt');

// The child: datagrams in (one oversize), a segmented send that arrives whole (its control
// message read for the segment size), close twice, close and query a ring whose handles
// closed long ago, a ring dropped without close and collected. Ports are the child's own.
const CHILD = `
const ring = require(${JSON.stringify(ADDON)});
const { setsockopt } = require(${JSON.stringify(SOCKOPT)});
const dgram = require('node:dgram');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function main() {
  const probe = dgram.createSocket('udp4');
  await new Promise((r) => probe.bind(0, '127.0.0.1', r));
  const port = probe.address().port;
  probe.close();
  const data = Buffer.alloc(1472 * 4), lengths = new Uint32Array(4), segments = new Uint32Array(4);
  let got = 0, oversize = 0;
  const coalesced = [];
  const h = ring.open(port, '239.255.77.1', '127.0.0.1', 1 << 20, data, 1472, lengths, segments, 2,
    (n) => {
      for (let i = 0; i < n; i++) {
        if (segments[i] > 0) coalesced.push([lengths[i], segments[i]]);
        else lengths[i] > 1472 ? oversize++ : got++;
      }
    }, (e) => { throw e; });
  const s = dgram.createSocket('udp4');
  for (let i = 0; i < 6; i++) await new Promise((r) => s.send(Buffer.alloc(i === 0 ? 2000 : 100), port, '127.0.0.1', r));
  setsockopt({ _handle: { fd: s._handle.fd } }, 17, 103, 100); // UDP_SEGMENT: 250 bytes leave as 100 + 100 + 50
  await new Promise((r) => s.send(Buffer.alloc(250), port, '127.0.0.1', r));
  for (let i = 0; i < 500 && (got < 5 || coalesced.length < 1); i++) await sleep(20);
  ring.close(h); ring.close(h);
  ring.open(port + 1 > 65535 ? port - 1 : port + 1, '239.255.77.1', '127.0.0.1', 1 << 20, Buffer.alloc(1472), 1472, new Uint32Array(1), new Uint32Array(1), 0, () => {}, () => {});
  await sleep(50);
  ring.close(h);
  let message = '';
  try { ring.receiveBufferBytes(h); } catch (e) { message = e.message; }
  global.gc();
  await sleep(50);
  s.close();
  console.log(JSON.stringify({ got, oversize, coalesced, message }));
  process.exit(0);
}
main();
`;

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('datagram ring under valgrind: receive, a coalesced packet, close twice, use after close and a dropped ring touch no freed memory', async () => {
  // valgrind is in scripts/install-deps.sh; its absence is a set-up failure, not a skip.
  const r = await run('valgrind', ['--error-exitcode=0', '--leak-check=no', process.execPath, '--expose-gc', '-e', CHILD]);
  assert.equal(r.code, 0, r.stderr.slice(-4000));
  // V8's conservative stack scan reads uninitialised words on purpose ("Conditional jump"):
  // only accesses to memory not ours count.
  const invalid = r.stderr.split('\n').filter((l) => /Invalid (read|write|free)|Mismatched free|Source and destination overlap/.test(l));
  assert.deepEqual(invalid, [], r.stderr.slice(-4000));
  const result = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { got: number; oversize: number; coalesced: number[][]; message: string };
  assert.deepEqual(result, { got: 5, oversize: 1, coalesced: [[250, 100]], message: 'the ring is closed' });
});
