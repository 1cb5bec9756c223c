// A small isolated multicast lab for tests, built from Linux network namespaces that the test
// creates itself (a TypeScript port of the topology of shared/bench/mcbench.sh):
//
//   [ns <tag>-s ] 10.<n>.0.1  mc0 --veth-- ps  --+
//   [ns <tag>-r1] 10.<n>.0.11 mc0 --veth-- pr1 --+-- br0 (in ns <tag>-br, mcast_snooping 0, no uplink)
//   ...                                          |
//   [ns <tag>-rN] 10.<n>.0.1N mc0 --veth-- prN --+
//
// Addresses exist only inside these namespaces and there is no route out of them, so tests
// can send as fast as they like without reaching any other host. Rate: tc tbf on both ends of
// a host's link. Loss: an nftables netdev table whose chain on the egress hook of the bridge-side
// veth drops `numgen random` packets (this kernel has no sch_netem). Needs root, iproute2 and
// nftables (scripts/install-deps.sh).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface LabHost {
  /** 's' for the sender, 'r1'..'rN' for receivers. */
  readonly name: string;
  /** The network namespace the host lives in. */
  readonly ns: string;
  /** Its IPv4 address (10.<subnet>.0.x/24). */
  readonly ip: string;
  /** The interface name inside its namespace. */
  readonly iface: string;
}

export interface LabNetOptions {
  /** Number of receivers (1..32). */
  receivers: number;
  /** Prefix of namespace names, [a-z][a-z0-9]{0,11}; default from the pid and a counter so parallel test files don't clash. */
  tag?: string;
  /** Second octet of 10.<n>.0.0/24 (1..254); default derived from the tag. */
  subnet?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** Default: all three piped. The caller must read piped stdout/stderr (or the child may block). */
  stdio?: 'pipe' | 'ignore' | 'inherit';
}

const IFACE = 'mc0';
const BRIDGE = 'br0';
const MAX_RECEIVERS = 32;
const DEFAULT_EXEC_TIMEOUT_MS = 15_000;
const KILL_GRACE_MS = 3_000;
const LINK_WAIT_MS = 5_000;

// ------------------------------------------------------------------ process-wide safety net
// Namespaces and spawned process groups of this process that destroy() has not removed yet:
// on exit or SIGINT/SIGTERM they are killed / deleted synchronously.
const liveNamespaces = new Set<string>();
const liveChildren = new Set<ChildProcess>();
let safetyNetInstalled = false;

function cleanupSync(): void {
  for (const child of liveChildren) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGKILL');
    }
  }
  liveChildren.clear();
  for (const ns of [...liveNamespaces].sort(hostsBeforeBridge)) {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5_000 });
  }
  liveNamespaces.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupSync();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.kill(process.pid, signal);
}

function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  process.on('exit', cleanupSync);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Host namespaces first: deleting them removes their veths before the bridge goes. */
function hostsBeforeBridge(a: string, b: string): number {
  return Number(a.endsWith('-br')) - Number(b.endsWith('-br'));
}

/** Signals the child's process group (it is spawned detached, so it leads one), else the pid. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try { process.kill(child.pid, signal); } catch { /* already gone */ }
  }
}

// ------------------------------------------------------------------ command running
/** Runs a command (no shell), resolving its output; rejects on non-zero exit or timeout. */
function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  const line = [cmd, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(new Error(`${line}: ${err.message}`)); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`${line}: timed out after ${timeoutMs} ms\n${stderr.trim()}`));
      else if (code !== 0) reject(new Error(`${line}: exit ${code ?? signal}\n${stderr.trim()}`));
      else resolve({ stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** tc-style rate ('10mbit', '1gbit', '500kbit', '64000bit') to bits per second. */
export function rateToBitsPerSecond(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/i.exec(rate.trim());
  if (!m?.[1] || !m[2]) throw new Error(`bad rate '${rate}': use <number>bit|kbit|mbit|gbit, e.g. 100mbit`);
  const factor = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }[m[2].toLowerCase() as 'bit' | 'kbit' | 'mbit' | 'gbit'];
  return Math.round(Number(m[1]) * factor);
}

// ------------------------------------------------------------------ availability
/**
 * Throws a clear error naming what is missing when the lab cannot be built here (not root, no
 * `ip netns`, no tc, no nft). Tests call it first so that they fail rather than silently skip.
 */
export async function assertLabNetAvailable(): Promise<void> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root privileges (network namespaces, tc and nft need uid 0)');
  const probes: [string, string[], string][] = [
    ['ip', ['netns', 'list'], '`ip netns` (Debian package iproute2)'],
    ['tc', ['-V'], '`tc` (Debian package iproute2)'],
    ['nft', ['--version'], '`nft` (Debian package nftables)'],
  ];
  for (const [cmd, args, what] of probes) {
    try { await run(cmd, args, { timeoutMs: 5_000 }); } catch (err) {
      missing.push(`${what}: ${(err as Error).message.split('\n')[0] ?? ''}`);
    }
  }
  if (missing.length > 0) {
    throw new Error(`LabNet needs: ${missing.join('; ')} (run scripts/install-deps.sh as root)`);
  }
}

// ------------------------------------------------------------------ the lab
let tagCounter = 0;

function defaultTag(): string {
  tagCounter += 1;
  return `ln${(process.pid % 1_000_000).toString(36)}x${tagCounter.toString(36)}`;
}

/** A stable second octet in 16..239 from the tag. */
function subnetFromTag(tag: string): number {
  let h = 0;
  for (const c of tag) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return 16 + (h % 224);
}

interface HostState {
  /** Bridge-side veth name in the bridge namespace. */
  readonly port: string;
  lossMode: 'none' | 'egress' | 'ingress';
  rate: string | null;
}

export class LabNet {
  readonly tag: string;
  readonly subnet: number;
  /** Namespace of the bridge. */
  readonly bridgeNs: string;
  readonly sender: LabHost;
  readonly receivers: readonly LabHost[];
  private readonly state = new Map<string, HostState>();
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(tag: string, subnet: number, receivers: number) {
    this.tag = tag;
    this.subnet = subnet;
    this.bridgeNs = `${tag}-br`;
    const host = (name: string, last: number): LabHost => ({ name, ns: `${tag}-${name}`, ip: `10.${subnet}.0.${last}`, iface: IFACE });
    this.sender = host('s', 1);
    this.receivers = Array.from({ length: receivers }, (_, i) => host(`r${i + 1}`, 11 + i));
    for (const h of this.hosts) this.state.set(h.name, { port: `p${h.name}`, lossMode: 'none', rate: null });
  }

  /** Every host, sender first. */
  get hosts(): readonly LabHost[] {
    return [this.sender, ...this.receivers];
  }

  /** A multicast group address that belongs to this lab: 239.<subnet>.0.<index>. */
  group(index = 1): string {
    return `239.${this.subnet}.0.${index}`;
  }

  /**
   * Builds the lab: a bridge namespace with br0 (multicast snooping and STP off), a namespace per
   * host with lo up, a veth to the bridge, its address and a route for 224.0.0.0/4 on that veth.
   * On failure everything made so far is removed and the error is rethrown.
   */
  static async create(opts: LabNetOptions): Promise<LabNet> {
    const { receivers } = opts;
    if (!Number.isInteger(receivers) || receivers < 1 || receivers > MAX_RECEIVERS) {
      throw new Error(`receivers must be an integer in 1..${MAX_RECEIVERS}, got ${receivers}`);
    }
    const tag = opts.tag ?? defaultTag();
    if (!/^[a-z][a-z0-9]{0,11}$/.test(tag)) throw new Error(`tag must match [a-z][a-z0-9]{0,11}, got '${tag}'`);
    const subnet = opts.subnet ?? subnetFromTag(tag);
    if (!Number.isInteger(subnet) || subnet < 1 || subnet > 254) throw new Error(`subnet must be in 1..254, got ${subnet}`);

    const existing = await listNamespaces();
    const clash = existing.filter((ns) => ns.startsWith(`${tag}-`));
    if (clash.length > 0) throw new Error(`namespaces with tag '${tag}' already exist: ${clash.join(', ')}`);

    installSafetyNet();
    const lab = new LabNet(tag, subnet, receivers);
    try {
      await lab.build();
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  private async addNamespace(ns: string): Promise<void> {
    await run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    liveNamespaces.add(ns);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // No IPv6 chatter (router/neighbour solicitations, MLD) in the counts.
    await run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
      .catch(() => undefined);
  }

  private async build(): Promise<void> {
    const br = this.bridgeNs;
    await this.addNamespace(br);
    await run('ip', ['-n', br, 'link', 'add', BRIDGE, 'type', 'bridge', 'mcast_snooping', '0', 'stp_state', '0']);
    await run('ip', ['-n', br, 'link', 'set', BRIDGE, 'up']);
    for (const h of this.hosts) {
      const port = this.portOf(h);
      await this.addNamespace(h.ns);
      await run('ip', ['-n', br, 'link', 'add', port, 'type', 'veth', 'peer', 'name', h.iface, 'netns', h.ns]);
      await run('ip', ['-n', br, 'link', 'set', port, 'master', BRIDGE, 'up']);
      await run('ip', ['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', h.iface]);
      await run('ip', ['-n', h.ns, 'link', 'set', h.iface, 'up']);
      await run('ip', ['-n', h.ns, 'route', 'add', '224.0.0.0/4', 'dev', h.iface]);
    }
    for (const h of this.hosts) await this.waitLink(h, true);
  }

  private portOf(host: LabHost): string {
    return this.stateOf(host).port;
  }

  private stateOf(host: LabHost): HostState {
    const s = this.state.get(host.name);
    if (!s || this.hosts.every((h) => h.ns !== host.ns)) throw new Error(`host ${host.name} (${host.ns}) is not part of lab ${this.tag}`);
    return s;
  }

  private assertLive(): void {
    if (this.destroyed) throw new Error(`lab ${this.tag} was destroyed`);
  }

  /** Waits (bounded) until both ends of the host's link report operstate UP, or the bridge side DOWN. */
  private async waitLink(host: LabHost, up: boolean): Promise<void> {
    const deadline = Date.now() + LINK_WAIT_MS;
    const want = up ? 'UP' : 'DOWN';
    let last = '';
    while (Date.now() < deadline) {
      const port = await operstate(this.bridgeNs, this.portOf(host));
      const peer = await operstate(host.ns, host.iface);
      last = `${this.portOf(host)}=${port} ${host.iface}=${peer}`;
      if (up ? port === 'UP' && peer === 'UP' : port === 'DOWN') return;
      await sleep(50);
    }
    throw new Error(`link of ${host.name} did not become ${want} within ${LINK_WAIT_MS} ms (${last})`);
  }

  /** Runs a command inside the host's namespace; rejects on non-zero exit or after timeoutMs. */
  exec(host: LabHost, cmd: string, args: readonly string[], timeoutMs = DEFAULT_EXEC_TIMEOUT_MS): Promise<ExecResult> {
    this.assertLive();
    this.stateOf(host);
    return run('ip', ['netns', 'exec', host.ns, cmd, ...args], { timeoutMs });
  }

  /**
   * Starts a long-running process inside the host's namespace (`ip netns exec` execs it, so the
   * child's pid is the command's). It leads its own process group; destroy() sends the group
   * SIGTERM, then SIGKILL after 3 s.
   */
  spawn(host: LabHost, cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    this.assertLive();
    this.stateOf(host);
    const child = spawn('ip', ['netns', 'exec', host.ns, cmd, ...args], {
      env: opts.env ?? process.env,
      stdio: opts.stdio ?? 'pipe',
      detached: true,
    });
    this.children.add(child);
    liveChildren.add(child);
    child.once('exit', () => { liveChildren.delete(child); });
    child.on('error', () => { liveChildren.delete(child); });
    return child;
  }

  /**
   * Drops `percent` % (0..100, in steps of 0.1) of the packets delivered TO this host: an nft
   * netdev table `loss_<port>` in the bridge namespace with a chain on the egress hook of the
   * bridge-side veth. Where the kernel lacks the egress hook, the ingress hook of the host-side
   * veth is used instead. 0 removes the rule.
   */
  async setLoss(host: LabHost, percent: number): Promise<void> {
    this.assertLive();
    const st = this.stateOf(host);
    if (!Number.isFinite(percent) || percent < 0 || percent > 100) throw new Error(`loss must be 0..100 %, got ${percent}`);
    const permille = Math.round(percent * 10);
    const table = `loss_${st.port}`;
    // Declaring then deleting the table makes the script work whether or not it existed;
    // nft -f applies the whole script atomically.
    const reset = `table netdev ${table} {}\ndelete table netdev ${table}\n`;
    const rule = (hook: 'egress' | 'ingress', dev: string): string =>
      `table netdev ${table} {\n  chain ${hook} {\n    type filter hook ${hook} device "${dev}" priority 0;\n` +
      `    numgen random mod 1000 < ${permille} drop\n  }\n}\n`;

    if (st.lossMode === 'ingress') await run('ip', ['netns', 'exec', host.ns, 'nft', '-f', '-'], { input: reset });
    if (permille === 0) {
      if (st.lossMode === 'egress') await run('ip', ['netns', 'exec', this.bridgeNs, 'nft', '-f', '-'], { input: reset });
      st.lossMode = 'none';
      return;
    }
    try {
      await run('ip', ['netns', 'exec', this.bridgeNs, 'nft', '-f', '-'], { input: reset + rule('egress', st.port) });
      st.lossMode = 'egress';
    } catch (egressErr) {
      try {
        await run('ip', ['netns', 'exec', host.ns, 'nft', '-f', '-'], { input: reset + rule('ingress', host.iface) });
        st.lossMode = 'ingress';
      } catch (ingressErr) {
        throw new Error(`nft loss rule failed for ${host.name}: egress: ${(egressErr as Error).message}; ingress: ${(ingressErr as Error).message}`);
      }
    }
  }

  /**
   * Limits the host's link in both directions with tc tbf (bridge-side veth root = traffic to the
   * host, host-side veth root = traffic from it), e.g. '100mbit'; burst is ~1 ms of line rate
   * (at least 16000 bytes) and latency 10 ms, as mcbench does. null removes both qdiscs.
   */
  async setRate(host: LabHost, rate: string | null): Promise<void> {
    this.assertLive();
    const st = this.stateOf(host);
    const ends: [string, string][] = [[this.bridgeNs, st.port], [host.ns, host.iface]];
    if (rate === null) {
      if (st.rate !== null) {
        for (const [ns, dev] of ends) await run('tc', ['-n', ns, 'qdisc', 'del', 'dev', dev, 'root']);
      }
      st.rate = null;
      return;
    }
    const bps = rateToBitsPerSecond(rate);
    if (bps < 8_000) throw new Error(`rate ${rate} is too low for tbf (at least 8kbit)`);
    const burst = Math.max(16_000, Math.round(bps / 8 / 1000));
    for (const [ns, dev] of ends) {
      await run('tc', ['-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'tbf', 'rate', rate, 'burst', String(burst), 'latency', '10ms']);
    }
    st.rate = rate;
  }

  /** Sets the bridge-side end of the host's link down (the host is cut off) or up again; waits for the state. */
  async setLinkUp(host: LabHost, up: boolean): Promise<void> {
    this.assertLive();
    await run('ip', ['-n', this.bridgeNs, 'link', 'set', this.portOf(host), up ? 'up' : 'down']);
    await this.waitLink(host, up);
  }

  /** Kills spawned processes (SIGTERM, SIGKILL after 3 s) and deletes every namespace of the lab. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const running = [...this.children].filter((c) => c.pid !== undefined && c.exitCode === null && c.signalCode === null);
    await Promise.all(running.map((c) => stopChild(c)));
    for (const c of this.children) liveChildren.delete(c);
    this.children.clear();
    const problems: string[] = [];
    for (const ns of [...this.namespaces].sort(hostsBeforeBridge)) {
      try {
        await run('ip', ['netns', 'del', ns]);
      } catch (err) {
        // Already gone is fine; anything else is reported after trying the rest.
        if ((await listNamespaces()).includes(ns)) problems.push((err as Error).message);
      }
      liveNamespaces.delete(ns);
    }
    this.namespaces.length = 0;
    if (problems.length > 0) throw new Error(`lab ${this.tag}: could not delete: ${problems.join('; ')}`);
  }
}

/** SIGTERM to the child's group, SIGKILL after 3 s; resolves when it has exited (bounded). */
async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const within = (ms: number): Promise<boolean> =>
    Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
  killGroup(child, 'SIGTERM');
  if (await within(KILL_GRACE_MS)) return;
  killGroup(child, 'SIGKILL');
  await within(2_000);
}

async function operstate(ns: string, dev: string): Promise<string> {
  const { stdout } = await run('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev]);
  const parsed = JSON.parse(stdout) as { operstate?: string }[];
  return parsed[0]?.operstate ?? 'UNKNOWN';
}

/** Names of the network namespaces that exist now (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.length > 0);
}
