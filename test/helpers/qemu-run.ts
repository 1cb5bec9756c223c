// Runs one QEMU process for a test until it exits or a time limit passes, and collects its
// serial console (stdout with -nographic). Shared by the direct-kernel and disk boot helpers.
// QEMU runs detached, leading its own process group: a timeout, or this process exiting,
// kills that group, so no VM outlives its test.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface QemuRunOptions {
  /** Hard limit: QEMU is killed (by its process group) after this long. */
  readonly timeoutMs: number;
  /** Serial log copy, for reading after a failure. */
  readonly logFile?: string;
}

export interface QemuRunResult {
  /** Serial console text (and QEMU's stderr). */
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

/** Runs `cmd args` (QEMU, or `ip netns exec … qemu`, which execs it) and records `marks`. */
export function runQemu(cmd: string, args: readonly string[], opts: QemuRunOptions, marks: Readonly<Record<string, RegExp>> = {}): Promise<QemuRunResult> {
  installExitHook();
  const start = Date.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  const sink = opts.logFile ? createWriteStream(opts.logFile) : null;
  let log = '';
  let pending = '';
  const found = new Map<string, number>();
  const scan = (line: string): void => {
    for (const [name, re] of Object.entries(marks)) if (!found.has(name) && re.test(line)) found.set(name, (Date.now() - start) / 1000);
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
