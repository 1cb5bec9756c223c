// A deploy test bench on this host: a real server (in this process) on loopback multicast with
// a group and port of its own, the golden image built and imported into its store, and real
// `rackcast-agent boot` processes started from each fake machine's own iPXE script (a fresh
// one-time token each boot). Shared by the deploy tests that need no QEMU.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { importImage, loadConfig, silentLogger, startServer, type DeployView, type RunningServer } from '@rackcast/server';
import { AgentProcess, cmdlineFromScript } from './agent-process.js';
import { apiAuth } from './api-auth.js';
import type { FakeMachine } from './fake-machine.js';
import { tempDir } from './temp-dir.js';


export const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** PATH with the sbin folders, where sfdisk, e2fsck and debugfs live. */
export const TOOL_ENV = { ...process.env, PATH: `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };

export interface SessionJson {
  id: number;
  phase: string;
  blockCount: number;
  receivers: { id: string; registrations: number; state: string }[];
  deploy: DeployView;
}

export class DeployHarness {
  readonly agents: AgentProcess[] = [];

  private constructor(readonly work: Awaited<ReturnType<typeof tempDir>>, readonly server: RunningServer, readonly golden: string) {}

  /** Builds the golden image (cached kernel), starts the server and imports the image as "golden". */
  static async start(name: string): Promise<DeployHarness> {
    const work = await tempDir(name);
    const golden = join(work.path, 'golden.img');
    await run(join(ROOT, 'scripts', 'build-golden-image'), [golden], { cwd: ROOT, env: TOOL_ENV, timeout: 600_000 });
    const base = loadConfig(undefined, { RACKCAST_STORE_DIR: join(work.path, 'store'), RACKCAST_HTTP_PORT: '0' });
    // A group and port of this run's own: other tests may stream on loopback at the same time.
    const config = { ...base, multicast: { ...base.multicast, interface: '127.0.0.1', groupBase: `239.${randomInt(100, 200)}.${randomInt(0, 200)}.0`, portBase: randomInt(20_000, 40_000) } };
    const server = await startServer(config, silentLogger(), { announceMs: 500, reportTimeoutMs: 1000, deadAfterMs: 3000, startTimeoutMs: 30_000, lostGraceMs: 30_000 });
    await importImage(server.store, { file: golden, name: 'golden' });
    return new DeployHarness(work, server, golden);
  }

  /** Environment for the CLI against this server. */
  get cliEnv(): Record<string, string> {
    return { RACKCAST_STORE_DIR: this.server.config.store.dir, PATH: TOOL_ENV.PATH };
  }

  #viewer: Readonly<Record<string, string>> | undefined;

  async session(id: number): Promise<SessionJson> {
    this.#viewer ??= (await apiAuth(this.server)).viewer;
    const res = await fetch(`${this.server.url}/api/sessions/${id}`, { headers: this.#viewer });
    return ((await res.json()) as { session: SessionJson }).session;
  }

  /** Polls the session (every 250 ms, bounded) until `check` holds. */
  async waitFor(id: number, check: (s: SessionJson) => boolean, timeoutMs: number, what: string): Promise<SessionJson> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.session(id);
      if (check(s)) return s;
      if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms: ${JSON.stringify(s.deploy?.members.map((m) => [m.mac, m.state, m.bytesDone, m.failure]))}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Boots the machine's agent as its iPXE script would: the kernel command line with a fresh token. */
  async bootAgent(machine: FakeMachine, name: string): Promise<AgentProcess> {
    const script = await (await fetch(`${this.server.url}/boot/ipxe?mac=${machine.mac}&uuid=&platform=pcbios&buildarch=i386`)).text();
    const agent = await AgentProcess.start(this.work.path, name, cmdlineFromScript(script, machine.mac), ['--sysfs-root', machine.sysfs, '--dev-dir', machine.devDir]);
    this.agents.push(agent);
    return agent;
  }

  async stop(): Promise<void> {
    for (const a of this.agents) await a.stop();
    await this.server.stop();
    await this.work.remove();
  }
}
