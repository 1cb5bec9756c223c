import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabNet, type LabHost } from './netns.js';
import { runCli } from './rackcast-cli.js';
import { tempDir } from './temp-dir.js';

const CLI = fileURLToPath(new URL('../../../server/bin/rackcast.js', import.meta.url));
const AGENT = fileURLToPath(new URL('../../../preboot-image/agent/bin/rackcast-agent.js', import.meta.url));
const HTTP_PORT = 8080;

/** What `rackcast-agent receive` printed when it finished. */
export interface ReceiveOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly result: {
    blocks: number; resumedBlocks: number; multicastBlocks: number; backfillBlocks: number; authFailures: number;
    malformed: number; foreign: number; overruns: number; spilledBlocks: number; lossRate: number; seconds: number;
  } | null;
}

export interface RunningReceiver {
  readonly child: ChildProcess;
  readonly done: Promise<ReceiveOutcome>;
}

/** A session as `rackcast session show --json` prints it (the fields tests read). */
export interface SessionView {
  id: number;
  phase: string;
  pass: number;
  blockCount: number;
  fragmentsSent: number;
  repairFragments: number;
  inPassRepairFragments?: number;
  receivers: { id: string; state: string; straggler: boolean; failure: { code: string; message: string } | null; progress: { blocksDone: number } | null; journalBlocks: number; backfilledBlocks: number; registrations: number }[];
}

/**
 * A boot server in the sender namespace of a LabNet, with an image imported into its store, and
 * receivers run with the real agent CLI in the receiver namespaces. Everything stays inside the
 * namespaces the LabNet created.
 */
export class StreamLab {
  readonly net: LabNet;
  readonly dir: string;
  readonly store: string;
  #server: ChildProcess | null = null;
  readonly #removeDir: () => Promise<void>;

  private constructor(net: LabNet, dir: string, removeDir: () => Promise<void>) {
    this.net = net;
    this.dir = dir;
    this.store = join(dir, 'store');
    this.#removeDir = removeDir;
  }

  /** Builds the network, imports `image` as `name` and starts the server. */
  static async create(receivers: number, image: string, name: string): Promise<StreamLab> {
    const dir = await tempDir('stream');
    const net = await LabNet.create({ receivers });
    const lab = new StreamLab(net, dir.path, dir.remove);
    try {
      const imported = await runCli(['image', 'import', image, '--name', name], { RACKCAST_STORE_DIR: lab.store });
      if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
      await lab.startServer();
      return lab;
    } catch (err) {
      await lab.destroy();
      throw err;
    }
  }

  get url(): string {
    return `http://${this.net.sender.ip}:${HTTP_PORT}`;
  }

  #env(): NodeJS.ProcessEnv {
    return { ...process.env, RACKCAST_STORE_DIR: this.store, RACKCAST_HTTP_HOST: this.net.sender.ip, RACKCAST_HTTP_PORT: String(HTTP_PORT), RACKCAST_MULTICAST_INTERFACE: this.net.sender.ip, RACKCAST_LOG_LEVEL: 'warn' };
  }

  /** Starts `rackcast serve` in the sender namespace and waits until it listens (30 s at most). */
  async startServer(): Promise<void> {
    const child = this.net.spawn(this.net.sender, process.execPath, [CLI, 'serve'], { env: this.#env() });
    this.#server = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30_000);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${stderr}`)); });
    });
  }

  /** Kills the server process (SIGKILL: a crash, not a clean stop) and waits for it to go. */
  async killServer(): Promise<void> {
    const child = this.#server;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.#server = null;
  }

  /** Runs the CLI inside the sender namespace, where the server is reachable. */
  async cli(args: readonly string[], timeoutMs = 30_000): Promise<string> {
    const env = this.#env();
    const assignments = ['RACKCAST_STORE_DIR', 'RACKCAST_HTTP_HOST', 'RACKCAST_HTTP_PORT', 'RACKCAST_MULTICAST_INTERFACE'].map((k) => `${k}=${env[k] ?? ''}`);
    const { stdout } = await this.net.exec(this.net.sender, 'env', [...assignments, process.execPath, CLI, ...args], timeoutMs);
    return stdout;
  }

  async startSession(image: string, expect: number, rate: string, extra: readonly string[] = []): Promise<{ id: number; tokens: string[] }> {
    const out = JSON.parse(await this.cli(['session', 'start', image, '--expect', String(expect), '--rate', rate, '--json', ...extra])) as { session: { id: number }; tokens: string[] };
    return { id: out.session.id, tokens: out.tokens };
  }

  async session(id: number): Promise<SessionView> {
    return JSON.parse(await this.cli(['session', 'show', String(id), '--json'])) as SessionView;
  }

  /** Polls the session (every 200 ms, `timeoutMs` at most) until `check` holds. */
  async waitFor(id: number, check: (s: SessionView) => boolean, timeoutMs: number): Promise<SessionView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.session(id).catch(() => null);
      if (s && check(s)) return s;
      if (Date.now() > deadline) throw new Error(`session ${id} did not reach the expected state in ${timeoutMs} ms: ${JSON.stringify(s)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Starts the agent in a receiver's namespace. */
  receive(host: LabHost, session: number, token: string, target: string, extra: readonly string[] = []): RunningReceiver {
    const child = this.net.spawn(host, process.execPath, [AGENT, 'receive', '--server', this.url, '--session', String(session), '--token', token, '--target', target, '--iface', host.ip, '--quiet', ...extra]);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const done = new Promise<ReceiveOutcome>((resolve) => {
      child.once('exit', (code) => {
        const line = stdout.split('\n').find((l) => l.startsWith('{"result"'));
        resolve({ code, stdout, stderr, result: line ? (JSON.parse(line) as { result: ReceiveOutcome['result'] }).result : null });
      });
    });
    return { child, done };
  }

  async destroy(): Promise<void> {
    await this.net.destroy();
    await this.#removeDir();
  }
}

/** Waits for a receiver with a time bound, so a hung agent fails the test instead of hanging it. */
export async function finished(receiver: RunningReceiver, timeoutMs: number): Promise<ReceiveOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`receiver did not finish in ${timeoutMs} ms`)), timeoutMs); });
  try {
    return await Promise.race([receiver.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
