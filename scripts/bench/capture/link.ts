// The benchmark's network: two namespaces this process creates, joined by one veth pair and
// shaped with tc tbf on both ends (this kernel has no netem):
//
//   [ns <tag>-srv] 10.<n>.0.1/24 cb0 ==veth, tbf <rate> each way== cb0 10.<n>.0.2/24 [ns <tag>-agt]
//
// The addresses exist only inside these namespaces, with no route out. Namespaces and the
// processes started in them are removed on exit and on SIGINT/SIGTERM, synchronously.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const IFACE = 'cb0';
const EXEC_TIMEOUT_MS = 15_000;
const LINK_WAIT_MS = 5_000;

export interface LinkEnd {
  readonly ns: string;
  readonly ip: string;
}

/** Both directions' bytes through the agent's end of the veth, Ethernet headers included. */
export interface WireBytes {
  readonly tx: number;
  readonly rx: number;
}

const liveNamespaces = new Set<string>();
const liveChildren = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, signal); } catch { try { process.kill(child.pid, signal); } catch { /* gone */ } }
}

function cleanupSync(): void {
  for (const child of liveChildren) killGroup(child, 'SIGKILL');
  liveChildren.clear();
  for (const ns of liveNamespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5_000 });
  liveNamespaces.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupSync();
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

process.on('exit', cleanupSync);
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

async function run(cmd: string, args: readonly string[]): Promise<string> {
  return (await exec(cmd, args, { timeout: EXEC_TIMEOUT_MS })).stdout;
}

export class BenchLink {
  readonly server: LinkEnd;
  readonly agent: LinkEnd;

  private constructor(tag: string, subnet: number) {
    this.server = { ns: `${tag}-srv`, ip: `10.${subnet}.0.1` };
    this.agent = { ns: `${tag}-agt`, ip: `10.${subnet}.0.2` };
  }

  /** Creates both namespaces and the shaped veth, e.g. `BenchLink.create('rc-capb', 77, '1gbit')`. */
  static async create(tag: string, subnet: number, rate: string): Promise<BenchLink> {
    const link = new BenchLink(tag, subnet);
    for (const end of [link.server, link.agent]) {
      // A namespace left by a killed earlier run would make `add` fail: remove it first.
      spawnSync('ip', ['netns', 'del', end.ns], { stdio: 'ignore', timeout: 5_000 });
      await run('ip', ['netns', 'add', end.ns]);
      liveNamespaces.add(end.ns);
      await run('ip', ['-n', end.ns, 'link', 'set', 'lo', 'up']);
      // No IPv6 neighbour discovery on the link: only the benchmark's own traffic is counted.
      await run('ip', ['netns', 'exec', end.ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    }
    await run('ip', ['-n', link.server.ns, 'link', 'add', IFACE, 'type', 'veth', 'peer', 'name', IFACE, 'netns', link.agent.ns]);
    const bps = Number.parseFloat(rate) * ({ k: 1e3, m: 1e6, g: 1e9 }[/([kmg])bit$/i.exec(rate)?.[1]?.toLowerCase() ?? ''] ?? 1);
    // Burst ~1 ms of line rate, latency 10 ms: as the multicast lab shapes its links.
    const burst = String(Math.max(16_000, Math.round(bps / 8 / 1000)));
    for (const end of [link.server, link.agent]) {
      await run('ip', ['-n', end.ns, 'addr', 'add', `${end.ip}/24`, 'dev', IFACE]);
      await run('ip', ['-n', end.ns, 'link', 'set', IFACE, 'up']);
      await run('tc', ['-n', end.ns, 'qdisc', 'replace', 'dev', IFACE, 'root', 'handle', '1:', 'tbf', 'rate', rate, 'burst', burst, 'latency', '10ms']);
    }
    await link.waitUp();
    return link;
  }

  private async waitUp(): Promise<void> {
    const deadline = Date.now() + LINK_WAIT_MS;
    while (Date.now() < deadline) {
      const states = await Promise.all([this.server, this.agent].map((e) => run('ip', ['-n', e.ns, '-j', 'link', 'show', 'dev', IFACE])));
      if (states.every((s) => (JSON.parse(s) as { operstate: string }[])[0]?.operstate === 'UP')) return;
      await sleep(50);
    }
    throw new Error(`the veth between ${this.server.ns} and ${this.agent.ns} did not come up within ${LINK_WAIT_MS} ms`);
  }

  /** Byte counters of the agent's end of the veth. */
  async wireBytes(): Promise<WireBytes> {
    const [link] = JSON.parse(await run('ip', ['-n', this.agent.ns, '-s', '-j', 'link', 'show', 'dev', IFACE])) as { stats64: { rx: { bytes: number }; tx: { bytes: number } } }[];
    if (!link) throw new Error(`no ${IFACE} in ${this.agent.ns}`);
    return { tx: link.stats64.tx.bytes, rx: link.stats64.rx.bytes };
  }

  /** Starts a process in a namespace (`ip netns exec` execs it: the child's pid is the command's), leading its own process group. */
  spawn(end: LinkEnd, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', end.ns, cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    child.once('error', () => liveChildren.delete(child));
    return child;
  }

  /** SIGTERM to a child's group, SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(child: ChildProcess, graceMs = 5_000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Removes the namespaces (and with them the veth and its qdiscs) and any child left. */
  destroy(): void {
    cleanupSync();
  }
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit. */
  readonly seconds: number;
}

/** Waits for a child to exit, collecting its output; kills its group after `timeoutMs` and rejects. */
export function finish(child: ChildProcess, what: string, timeoutMs: number): Promise<Finished> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-20_000); });
    const timer = setTimeout(() => { killGroup(child, 'SIGKILL'); reject(new Error(`${what} did not finish within ${timeoutMs / 1000} s`)); }, timeoutMs);
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    });
  });
}
