// A bare UDP probe for the DHCP socket tests, run inside a client namespace. It sends the
// given datagrams and collects whatever comes back, bounded in count and time. Usage:
//   node dhcp-probe.js '<json ProbeJob>' | @<file with the json>   → prints one JSON line: ProbeResult
// It binds 0.0.0.0:<bindPort> (68 to hear broadcast replies like a DHCP client would). Sending
// to 255.255.255.255 needs a route for it in the namespace (dhcp-lab.ts `addBroadcastRoute`).
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';

export interface ProbeJob {
  /** Datagrams to send, base64. */
  packets: string[];
  to: string;
  port: number;
  bindPort: number;
  /** How long to listen after the last send. */
  listenMs: number;
  /** Pause between sends (0: as fast as the socket takes them). */
  gapMs?: number;
  /** Stop listening after this many replies. */
  maxReplies?: number;
}

export interface ProbeResult {
  sent: number;
  replies: { from: string; port: number; bytes: string }[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const arg = process.argv[2] ?? '{}';
  const job = JSON.parse(arg.startsWith('@') ? await readFile(arg.slice(1), 'utf8') : arg) as ProbeJob;
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  const result: ProbeResult = { sent: 0, replies: [] };
  let enough: () => void = () => undefined;
  const full = new Promise<void>((r) => { enough = r; });
  socket.on('message', (bytes, from) => {
    result.replies.push({ from: from.address, port: from.port, bytes: bytes.toString('base64') });
    if (result.replies.length >= (job.maxReplies ?? 1000)) enough();
  });
  await new Promise<void>((resolve) => socket.bind(job.bindPort, '0.0.0.0', () => resolve()));
  socket.setBroadcast(true);
  for (const p of job.packets.slice(0, 100_000)) {
    const error = await new Promise<Error | null>((resolve) => socket.send(Buffer.from(p, 'base64'), job.port, job.to, (err) => resolve(err)));
    if (error !== null) throw new Error(`send to ${job.to}:${job.port} failed: ${error.message}`);
    result.sent += 1;
    if ((job.gapMs ?? 0) > 0) await sleep(job.gapMs ?? 0);
  }
  await Promise.race([sleep(Math.min(job.listenMs, 30_000)), full]);
  socket.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`dhcp-probe: ${String(err)}\n`);
  process.exit(1);
});
