// Drives scripts/lab from tests exactly as a technician would: the same commands, each bounded
// in time. Every test file gets its own lab name, so labs of parallel runs never meet.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const LAB_SCRIPT = join(REPO_ROOT, 'scripts', 'lab');

export interface LabVmIdentity {
  readonly mac: string;
  readonly uuid: string;
  readonly uefi: boolean;
}

export class LabDriver {
  readonly name: string;

  /** `prefix`: [a-z]{1,4}; the pid keeps concurrent runs apart. */
  constructor(prefix: string) {
    this.name = `${prefix}${process.pid % 100000}`;
  }

  /** Runs `scripts/lab <args>`; rejects with its output on failure or timeout. */
  run(args: readonly string[], timeoutMs = 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(LAB_SCRIPT, args, { cwd: REPO_ROOT, env: { ...process.env, RACKCAST_LAB: this.name }, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`scripts/lab ${args.join(' ')}: ${err.message}\n${stderr.slice(-4000)}`));
        else resolve(stdout);
      });
    });
  }

  up(args: readonly string[] = [], timeoutMs = 20 * 60_000): Promise<string> {
    return this.run(['up', ...args], timeoutMs);
  }

  /**
   * A fresh lab with the golden image (scripts/build-golden-image) imported as `golden`;
   * returns the image file's path.
   */
  async upWithGolden(): Promise<string> {
    await this.down();
    await this.up();
    const golden = join(this.stateDir, 'golden.img');
    await this.run(['exec', join(REPO_ROOT, 'scripts/build-golden-image'), golden], 5 * 60_000);
    await this.rackcast(['image', 'import', golden, '--name', 'golden']);
    return golden;
  }

  /** Waits until every MAC is registered with its profile and waits for a job (the agent in standby). */
  async waitForWaiting(macs: readonly string[], timeoutMs: number): Promise<void> {
    await waitFor(`machines ${macs.join(', ')} to register`, timeoutMs, 3000, async () => {
      const list = await this.rackcast<{ machines: Array<{ mac: string; state: string; profile: unknown }> }>(['machine', 'list']);
      return macs.every((mac) => list.machines.some((m) => m.mac === mac && m.state === 'waiting' && m.profile !== null)) ? true : undefined;
    });
  }

  async down(): Promise<void> {
    await this.run(['down'], 60_000).catch(() => undefined);
  }

  /** `scripts/lab exec <command>` and parses its stdout as JSON. */
  async execJson<T>(command: readonly string[], timeoutMs = 60_000): Promise<T> {
    const out = await this.run(['exec', ...command], timeoutMs);
    return JSON.parse(out) as T;
  }

  /** The rackcast CLI on the lab network, against the lab's server. */
  rackcast<T>(args: readonly string[]): Promise<T> {
    return this.execJson<T>([process.execPath, join(REPO_ROOT, 'server/bin/rackcast.js'), ...args, '--json']);
  }

  get stateDir(): string {
    return join(REPO_ROOT, 'var', 'lab', this.name);
  }

  async vmIdentity(vm: string): Promise<LabVmIdentity> {
    const env = await readFile(join(this.stateDir, 'vms', vm, 'vm.env'), 'utf8');
    const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(env)?.[1] ?? '';
    return { mac: value('MAC'), uuid: value('UUID'), uefi: value('UEFI') === '1' };
  }

  /** A VM's serial console so far ('' before it wrote anything). */
  async serialLog(vm: string): Promise<string> {
    return readFile(join(this.stateDir, 'vms', vm, 'serial.log'), 'utf8').catch(() => '');
  }

  async serverLog(): Promise<string> {
    return readFile(join(this.stateDir, 'server.log'), 'utf8').catch(() => '');
  }

  /** True while the VM's QEMU process runs. */
  async vmRunning(vm: string): Promise<boolean> {
    const pid = Number((await readFile(join(this.stateDir, 'vms', vm, 'qemu.pid'), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** Polls `probe` every `intervalMs` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, intervalMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
