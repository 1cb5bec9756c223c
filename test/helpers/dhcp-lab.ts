// DHCP test plumbing on top of LabNet: Rackcast's DHCP server, busybox udhcpc/udhcpd, ISC
// dhclient and a bare UDP probe, each run inside a namespace of the lab, every wait bounded.
import type { ChildProcess } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  BootpOp, DhcpOption, chaddrBytes, decodeDhcpPacket, encodeDhcpPacket, type DhcpPacket,
} from '@rackcast/wire';
import type { DhcpProcConfig } from './dhcp-server-proc.js';
import type { ProbeJob, ProbeResult } from './dhcp-probe.js';
import type { LabHost, LabNet } from './netns.js';

const SERVER_PROC = fileURLToPath(new URL('./dhcp-server-proc.js', import.meta.url));
const PROBE = fileURLToPath(new URL('./dhcp-probe.js', import.meta.url));

export type LogLine = Record<string, unknown> & { msg?: string; mac?: string; level?: number };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Rackcast's DHCP server running in a namespace, with its log lines as they arrive. */
export class DhcpServerProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        try { this.logs.push(JSON.parse(line) as LogLine); } catch { this.stderr.push(line); }
      });
    }
  }

  static async start(lab: LabNet, host: LabHost, config: DhcpProcConfig): Promise<DhcpServerProcess> {
    const child = lab.spawn(host, process.execPath, [SERVER_PROC, JSON.stringify(config)]);
    const proc = new DhcpServerProcess(child);
    const stdout = child.stdout;
    if (!stdout) throw new Error('dhcp server: no stdout');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dhcp server did not start within 15 s: ${proc.stderr.join('\n')}`)), 15_000);
      createInterface({ input: stdout }).on('line', (line) => { if (line.startsWith('READY')) { clearTimeout(timer); resolve(); } });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`dhcp server exited (${code}): ${proc.stderr.join('\n')}`)); });
    });
    return proc;
  }

  /** Log lines with this message (and, if given, this MAC). */
  lines(msg: string, mac?: string): LogLine[] {
    return this.logs.filter((l) => l.msg === msg && (mac === undefined || l.mac === mac));
  }

  /** Closes stdin (the process closes its sockets and store) and waits for the exit, bounded. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin?.end();
    await Promise.race([exited, sleep(10_000).then(() => { throw new Error('dhcp server did not stop within 10 s'); })]);
  }
}

/** The MAC of the host's lab interface. */
export async function macOf(lab: LabNet, host: LabHost): Promise<string> {
  return (await lab.exec(host, 'cat', [`/sys/class/net/${host.iface}/address`])).stdout.trim();
}

/** Starts busybox udhcpd on the host serving `.100`–`.150` of the lab subnet (ARP check 100 ms). */
export async function startUdhcpd(lab: LabNet, host: LabHost, dir: string): Promise<ChildProcess> {
  const prefix = host.ip.split('.').slice(0, 3).join('.');
  const conf = join(dir, 'udhcpd.conf');
  await writeFile(join(dir, 'udhcpd.leases'), '');
  await writeFile(conf, [
    `start ${prefix}.100`, `end ${prefix}.150`, `interface ${host.iface}`, `lease_file ${join(dir, 'udhcpd.leases')}`,
    `pidfile ${join(dir, 'udhcpd.pid')}`, 'option subnet 255.255.255.0', 'option lease 600', '',
  ].join('\n'));
  const child = lab.spawn(host, 'busybox', ['udhcpd', '-f', '-a', '100', conf], { stdio: 'ignore' });
  await sleep(300);
  return child;
}

/** One udhcpc script call: the event ($1) and the variables it was given. */
export type UdhcpcEvent = Record<string, string> & { event: string };

/**
 * Runs busybox udhcpc once (-q: quit once bound; -n: fail if not) with a script that records
 * what udhcpc hands it (ip, siaddr, boot_file, serverid, optNN…); changes no interface.
 */
export async function runUdhcpc(lab: LabNet, host: LabHost, dir: string, args: string[]): Promise<{ events: UdhcpcEvent[]; bound: UdhcpcEvent | undefined; output: string }> {
  const out = join(dir, `udhcpc-${Date.now()}-${Math.random().toString(36).slice(2)}.env`);
  const script = join(dir, 'udhcpc-capture.sh');
  await writeFile(script, `#!/bin/sh\n{ echo "event=$1"; env; echo "--end--"; } >> ${out}\n`, { mode: 0o755 });
  let output: string;
  try {
    const r = await lab.exec(host, 'busybox', ['udhcpc', '-i', host.iface, '-f', '-q', '-n', '-t', '3', '-T', '2', '-s', script, ...args], 20_000);
    output = r.stdout + r.stderr;
  } catch (err) {
    output = (err as Error).message;
  }
  const text = await readFile(out, 'utf8').catch(() => '');
  const events = text.split('--end--\n').filter((b) => b.trim() !== '').map((block) => {
    const env: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return env as UdhcpcEvent;
  });
  return { events, bound: events.find((e) => e.event === 'bound'), output };
}

/**
 * Runs ISC dhclient in the foreground with `conf` until its script reports BOUND (or the
 * timeout), then stops it. Returns its log and the BOUND variables (new_ip_address, …).
 */
export async function runDhclient(lab: LabNet, host: LabHost, dir: string, conf: string, timeoutMs = 20_000): Promise<{ bound: Record<string, string> | undefined; log: string }> {
  const tag = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const out = join(dir, `dhclient-${tag}.env`);
  // dhclient runs its script with a scrubbed environment: the capture path is written into it.
  const script = join(dir, `dhclient-${tag}.sh`);
  await writeFile(script, `#!/bin/sh\n{ echo "reason=$reason"; env | grep -E '^new_'; echo "--end--"; } >> ${out}\n`, { mode: 0o755 });
  await writeFile(join(dir, `dhclient-${tag}.conf`), conf);
  const child = lab.spawn(host, 'dhclient', ['-d', '-1', '-v', '-cf', join(dir, `dhclient-${tag}.conf`), '-sf', script,
    '-lf', join(dir, `dhclient-${tag}.leases`), '-pf', join(dir, `dhclient-${tag}.pid`), host.iface]);
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { log += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { log += d; });
  const bound = await waitFor('dhclient BOUND', timeoutMs, async () => {
    const text = await readFile(out, 'utf8').catch(() => '');
    const block = text.split('--end--\n').find((b) => b.startsWith('reason=BOUND'));
    if (block === undefined) return child.exitCode !== null ? null : undefined;
    return Object.fromEntries(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  }).catch(() => null);
  if (child.exitCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(3_000)]);
  }
  return { bound: bound ?? undefined, log };
}

/**
 * Lets ordinary sockets of the host send to 255.255.255.255 (the lab namespaces have no
 * default route; DHCP clients use raw sockets and need none). Idempotent.
 */
export async function addBroadcastRoute(lab: LabNet, host: LabHost): Promise<void> {
  await lab.exec(host, 'ip', ['route', 'replace', '255.255.255.255/32', 'dev', host.iface]);
}

/** Sends datagrams from the host with the UDP probe and returns what came back. */
export async function probe(lab: LabNet, host: LabHost, job: ProbeJob): Promise<ProbeResult> {
  // Big jobs go through a file: argv has a size limit.
  const text = JSON.stringify(job);
  const file = join(tmpdir(), `rackcast-dhcp-probe-${process.pid}-${Date.now()}.json`);
  if (text.length > 64_000) await writeFile(file, text);
  try {
    const { stdout } = await lab.exec(host, process.execPath, [PROBE, text.length > 64_000 ? `@${file}` : text], job.listenMs + 60_000);
    return JSON.parse(stdout.trim()) as ProbeResult;
  } finally {
    await rm(file, { force: true });
  }
}

/** Decodes the probe's replies. */
export function replyPackets(result: ProbeResult): (DhcpPacket & { from: string })[] {
  return result.replies.map((r) => ({ ...decodeDhcpPacket(Buffer.from(r.bytes, 'base64')), from: r.from }));
}

const latin1 = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/** Options a firmware PXE client sends (research/lab.md §3): vendor class, arch, UNDI, GUID. */
export function pxeClientOptions(arch: number, guidByte = 0x5a): [number, Uint8Array][] {
  return [
    [DhcpOption.VendorClassIdentifier, latin1(`PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:00${arch === 0 ? '2001' : '3016'}`)],
    [DhcpOption.ClientSystemArch, Uint8Array.of(arch >> 8, arch & 255)],
    [DhcpOption.ClientNdi, Uint8Array.of(1, arch === 0 ? 2 : 3, arch === 0 ? 1 : 16)],
    [DhcpOption.ClientMachineId, Uint8Array.from([0, ...new Array<number>(16).fill(guidByte)])],
  ];
}

/** A client request as base64 for the probe. */
export function clientRequest(type: number, mac: string, options: [number, Uint8Array][], fields: Partial<DhcpPacket> = {}): string {
  const bytes = encodeDhcpPacket({
    op: BootpOp.Request, htype: 1, hlen: 6, hops: 0, xid: fields.xid ?? 0x7e57_0001, secs: 0, flags: 0x8000,
    ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: chaddrBytes(mac), sname: '', file: '',
    options: new Map([[DhcpOption.MessageType, Uint8Array.of(type)], ...options]), ...fields,
  });
  return Buffer.from(bytes).toString('base64');
}
