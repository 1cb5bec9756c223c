import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const AGENT = fileURLToPath(new URL('../../../preboot-image/agent/bin/rackcast-agent.js', import.meta.url));

/**
 * The kernel command line a machine would boot with, from the agent script the server served
 * it: the `kernel` line's arguments, with iPXE's ${net0/mac:hexhyp} expanded as iPXE would.
 */
export function cmdlineFromScript(script: string, mac: string): string {
  const kernel = script.split('\n').find((l) => l.startsWith('kernel '));
  if (kernel === undefined) throw new Error(`not an agent script:\n${script}`);
  return `BOOT_IMAGE=vmlinuz ${kernel.split(' ').slice(2).join(' ').replace('${net0/mac:hexhyp}', mac.replaceAll(':', '-'))}\n`;
}

/** A real `rackcast-agent boot` process on this host (power actions dry-run), with its console lines. */
export class AgentProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  #waiters: (() => void)[] = [];

  private constructor(child: ChildProcess) {
    this.child = child;
    let partial = '';
    const take = (d: Buffer): void => {
      partial += d.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const w of this.#waiters.splice(0)) w();
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.exited = new Promise((resolve) => child.on('exit', (code) => { for (const w of this.#waiters.splice(0)) w(); resolve(code); }));
  }

  /** Starts the agent with a command line written to `dir`; extra arguments go after `boot`. */
  static async start(dir: string, name: string, cmdline: string, extra: readonly string[] = []): Promise<AgentProcess> {
    const file = join(dir, `${name}.cmdline`);
    await writeFile(file, cmdline);
    const child = spawn(process.execPath, [AGENT, 'boot', '--cmdline-file', file, '--dry-run-power', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new AgentProcess(child);
  }

  /** Waits (bounded) for a console line matching `pattern` after line `from`; returns its index. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000, from = 0): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((l, n) => n >= from && pattern.test(l));
      if (i >= 0) return i;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`agent printed no line matching ${pattern} in ${timeoutMs} ms (exit ${this.child.exitCode}):\n${this.lines.join('\n')}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        this.#waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** Stops the process (by its PID) if it still runs. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
  }
}
