// A tiny UDP multicast sender/receiver for the network-namespace lab tests (run inside a
// namespace with `ip netns exec NS node test/dist/helpers/mcast-probe.js ...`).
//
//   listen --group G --port P --iface IP --run ID [--max-ms 30000]
//       joins G on the interface with address IP, prints "READY" once joined, counts datagrams
//       of run ID; prints one JSON ListenResult line and exits when stdin closes, on SIGTERM,
//       or after --max-ms.
//   send --group G --port P --iface IP --run ID --count N --size BYTES [--mbit RATE]
//       sends N datagrams of BYTES bytes (paced at RATE Mbit/s; 0 = as fast as possible) and
//       prints one JSON SendResult line.
//
// Datagram layout: 'MCPB' | run id u32 | sequence u32 | padding.
import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ListenResult {
  mode: 'listen';
  /** Distinct sequence numbers received. */
  received: number;
  duplicates: number;
  /** Datagrams of other runs or without the magic. */
  foreign: number;
  /** Payload bytes of the distinct datagrams. */
  bytes: number;
  /** Milliseconds between the first and the last datagram (0 with fewer than two). */
  spanMs: number;
  /** Receive rate over spanMs, not counting the first datagram (0 with fewer than two). */
  mbit: number;
  reason: 'stdin' | 'signal' | 'max-ms';
}

export interface SendResult {
  mode: 'send';
  sent: number;
  bytes: number;
  ms: number;
  mbit: number;
}

const MAGIC = 0x4d435042; // 'MCPB'
const HEADER = 12;

function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key?.startsWith('--') || value === undefined) throw new Error(`bad argument near '${key ?? ''}'`);
    out.set(key.slice(2), value);
  }
  return out;
}

function need(args: Map<string, string>, key: string): string {
  const v = args.get(key);
  if (v === undefined) throw new Error(`missing --${key}`);
  return v;
}

function num(args: Map<string, string>, key: string, fallback?: number): number {
  const raw = args.get(key);
  if (raw === undefined) {
    if (fallback === undefined) throw new Error(`missing --${key}`);
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${key} must be a non-negative number`);
  return n;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

function listen(args: Map<string, string>): void {
  const group = need(args, 'group');
  const port = num(args, 'port');
  const iface = need(args, 'iface');
  const runId = num(args, 'run');
  const maxMs = num(args, 'max-ms', 30_000);
  const seen = new Set<number>();
  let duplicates = 0;
  let foreign = 0;
  let bytes = 0;
  let firstBytes = 0;
  let first = 0;
  let last = 0;
  const sock: Socket = createSocket({ type: 'udp4', reuseAddr: true });

  let finished = false;
  const finish = (reason: ListenResult['reason']): void => {
    if (finished) return;
    finished = true;
    const spanMs = seen.size > 1 ? last - first : 0;
    const result: ListenResult = {
      mode: 'listen', received: seen.size, duplicates, foreign, bytes, spanMs,
      mbit: spanMs > 0 ? ((bytes - firstBytes) * 8) / (spanMs * 1000) : 0, reason,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
    sock.close();
  };

  sock.on('message', (msg) => {
    if (msg.length < HEADER || msg.readUInt32BE(0) !== MAGIC || msg.readUInt32BE(4) !== runId) {
      foreign += 1;
      return;
    }
    const seq = msg.readUInt32BE(8);
    if (seen.has(seq)) { duplicates += 1; return; }
    const t = nowMs();
    if (seen.size === 0) { first = t; firstBytes = msg.length; }
    last = t;
    seen.add(seq);
    bytes += msg.length;
  });
  sock.on('error', (err) => { process.stderr.write(`mcast-probe listen: ${err.message}\n`); process.exit(2); });
  sock.bind(port, () => {
    try { sock.setRecvBufferSize(4 * 1024 * 1024); } catch { /* clamped or refused: keep the default */ }
    sock.addMembership(group, iface);
    process.stdout.write('READY\n');
  });
  process.stdin.on('data', () => undefined);
  process.stdin.on('end', () => finish('stdin'));
  process.on('SIGTERM', () => finish('signal'));
  setTimeout(() => finish('max-ms'), maxMs).unref();
}

async function send(args: Map<string, string>): Promise<void> {
  const group = need(args, 'group');
  const port = num(args, 'port');
  const iface = need(args, 'iface');
  const runId = num(args, 'run');
  const count = num(args, 'count');
  const size = num(args, 'size');
  const mbit = num(args, 'mbit', 0);
  if (size < HEADER || size > 65_000) throw new Error(`--size must be ${HEADER}..65000`);
  const sock = createSocket({ type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address: iface, port: 0 }, () => resolve());
  });
  sock.setMulticastInterface(iface);
  sock.setMulticastTTL(1);
  sock.setMulticastLoopback(false);

  const sendOne = (seq: number): Promise<void> => {
    const buf = Buffer.alloc(size);
    buf.writeUInt32BE(MAGIC, 0);
    buf.writeUInt32BE(runId, 4);
    buf.writeUInt32BE(seq, 8);
    return new Promise((resolve, reject) => sock.send(buf, port, group, (err) => (err ? reject(err) : resolve())));
  };
  const start = nowMs();
  const msPerDatagram = mbit > 0 ? (size * 8) / (mbit * 1000) : 0;
  const deadline = start + 60_000;
  const window: Promise<void>[] = [];
  for (let seq = 0; seq < count; seq += 1) {
    if (nowMs() > deadline) throw new Error('send did not finish within 60 s');
    if (msPerDatagram > 0) {
      const due = start + seq * msPerDatagram;
      const wait = due - nowMs();
      if (wait > 1) await sleep(Math.floor(wait));
    }
    window.push(sendOne(seq));
    if (window.length >= 64) await Promise.all(window.splice(0));
  }
  await Promise.all(window);
  const ms = nowMs() - start;
  const result: SendResult = { mode: 'send', sent: count, bytes: count * size, ms, mbit: ms > 0 ? (count * size * 8) / (ms * 1000) : 0 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  sock.close();
}

const [mode, ...rest] = process.argv.slice(2);
try {
  const args = parseArgs(rest);
  if (mode === 'listen') listen(args);
  else if (mode === 'send') await send(args);
  else throw new Error('usage: mcast-probe listen|send --group G --port P --iface IP --run ID ...');
} catch (err) {
  process.stderr.write(`mcast-probe: ${(err as Error).message}\n`);
  process.exit(2);
}
