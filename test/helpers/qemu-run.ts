// Runs one QEMU process for a test until it exits or a time limit passes, and collects its
// serial console (stdout with -nographic). Shared by the direct-kernel and disk boot helpers.
// QEMU runs detached, leading its own process group (startVm of the trial restore): a timeout,
// or this process exiting, kills that group, so no VM outlives its test.
import { createWriteStream } from 'node:fs';
import { startVm } from '@rackcast/server';

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

/** Runs `cmd args` (QEMU, or `ip netns exec … qemu`, which execs it) and records `marks`. */
export async function runQemu(cmd: string, args: readonly string[], opts: QemuRunOptions, marks: Readonly<Record<string, RegExp>> = {}): Promise<QemuRunResult> {
  const start = Date.now();
  const sink = opts.logFile ? createWriteStream(opts.logFile) : null;
  let log = '';
  let pending = '';
  const found = new Map<string, number>();
  const scan = (line: string): void => {
    for (const [name, re] of Object.entries(marks)) if (!found.has(name) && re.test(line)) found.set(name, (Date.now() - start) / 1000);
  };
  // The product's VM starter (trial restore): its own process group, killed with this process.
  const vm = await startVm(cmd, args, (text) => {
    log += text;
    sink?.write(text);
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) scan(line);
  });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; void vm.kill(); }, opts.timeoutMs);
  const exit = await vm.exited;
  clearTimeout(timer);
  scan(pending);
  sink?.end();
  return { log, marks: found, seconds: (Date.now() - start) / 1000, timedOut, exitCode: exit.code };
}
