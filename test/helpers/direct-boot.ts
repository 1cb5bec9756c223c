// Boots a kernel + initramfs under QEMU without firmware or network boot (QEMU's -kernel /
// -initrd), in software emulation (no KVM here), and collects the serial console. Used by the
// preboot image tests: faster than PXE and independent of the boot server. The VM gets no NIC
// unless the caller adds one (never QEMU's default user-mode network, which would reach out).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface DirectBootOptions {
  readonly kernel: string;
  /** One initrd file (QEMU takes one: concatenate initrd.img and agent.img first). */
  readonly initrd: string;
  /** Kernel command line. Example: console=ttyS0 rackcast.selftest=1 */
  readonly append: string;
  /** Guest RAM in MiB (default 2048). */
  readonly memMiB?: number;
  /** Extra QEMU arguments (NICs, disks). */
  readonly qemuArgs?: readonly string[];
  /** Run QEMU inside this network namespace (for a tap that lives there). */
  readonly netns?: string;
  /** Hard limit: QEMU is killed (by its process group) after this long. */
  readonly timeoutMs: number;
  /** Serial log copy, for reading after a failure. */
  readonly logFile?: string;
}

export interface DirectBootResult {
  /** Serial console text. */
  readonly log: string;
  /** Seconds from QEMU's start to the first serial line matching each pattern asked for in `marks`. */
  readonly marks: ReadonlyMap<string, number>;
  readonly seconds: number;
  readonly timedOut: boolean;
  readonly exitCode: number | null;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => { for (const c of live) killGroup(c); });
}

/**
 * Runs one VM until it powers off (the preboot self-test does) or `timeoutMs` passes. `marks`
 * names patterns whose first appearance time is recorded (e.g. the self-test line).
 */
export function bootDirect(opts: DirectBootOptions, marks: Readonly<Record<string, RegExp>> = {}): Promise<DirectBootResult> {
  const qemu = ['qemu-system-x86_64', '-machine', 'pc,accel=tcg', '-smp', '1', '-m', String(opts.memMiB ?? 2048),
    '-nographic', '-no-reboot', '-nic', 'none', ...(opts.qemuArgs ?? []),
    '-kernel', opts.kernel, '-initrd', opts.initrd, '-append', opts.append];
  const [cmd, ...args] = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...qemu] : qemu;
  installExitHook();
  const start = Date.now();
  // `ip netns exec` execs QEMU, so the pid is QEMU's; detached: it leads its own process group.
  const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  const sink = opts.logFile ? createWriteStream(opts.logFile) : null;
  let log = '';
  let pending = '';
  const found = new Map<string, number>();
  const scan = (line: string): void => {
    for (const [name, re] of Object.entries(marks)) {
      if (!found.has(name) && re.test(line)) found.set(name, (Date.now() - start) / 1000);
    }
  };
  child.stdout?.setEncoding('latin1').on('data', (text: string) => {
    log += text;
    sink?.write(text);
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) scan(line);
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => { log += text; sink?.write(text); });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; killGroup(child); }, opts.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => { clearTimeout(timer); live.delete(child); reject(err); });
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      scan(pending);
      sink?.end();
      resolve({ log, marks: found, seconds: (Date.now() - start) / 1000, timedOut, exitCode: code });
    });
  });
}
