// The trial restore: a version is written to a scratch disk file, booted in a throw-away QEMU VM
// and judged by its serial console, then the VM and the file are gone. It proves a backup boots,
// which re-hashing its blocks cannot.
import { rmSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RackcastError } from '../errors.js';
import type { VersionRecord } from '../store/index.js';
import { chooseDiskBus, chooseFirmware, DISK_HEAD_BYTES, type DiskBus, type Firmware } from './boot-choice.js';
import { ConsoleWatch, DEFAULT_EXPECT, type ConsoleVerdict } from './console-watch.js';
import { diskVmArgs, findExecutable, QEMU_BINARY, requireOvmf, startVm, type RunningVm, type VmExit } from './qemu-vm.js';

export interface TrialOptions {
  /** "golden@3", for messages. */
  readonly label: string;
  /** Writes the version as a sparse raw file at `out` (the store's export) and says which version it was. */
  readonly exportTo: (out: string) => Promise<VersionRecord>;
  readonly expect?: RegExp;
  readonly timeoutMs?: number;
  /** Forces the firmware; otherwise chosen from the version (see boot-choice.ts). */
  readonly firmware?: Firmware;
  readonly bus?: DiskBus;
  readonly memMiB?: number;
  /** Where the scratch folder is made; the system's temporary folder by default. */
  readonly scratchParent?: string;
  /** Aborting (Ctrl-C) stops the trial; the VM and scratch file are removed all the same. */
  readonly signal?: AbortSignal;
  /** Progress for a person, one line at a time. */
  readonly onStep?: (line: string) => void;
  /** QEMU's executable; found on PATH by default. */
  readonly qemu?: string;
}

export interface TrialReport {
  readonly image: string;
  readonly version: number;
  readonly firmware: Firmware;
  readonly firmwareReason: string;
  readonly diskBus: DiskBus;
  readonly memMiB: number;
  readonly exportSeconds: number;
  /** From QEMU's start to the expected line. */
  readonly bootSeconds: number;
  readonly matched: string;
  readonly consoleTail: readonly string[];
}

export const DEFAULT_TIMEOUT_MS = 300_000;
export const DEFAULT_MEM_MIB = 1024;
/** A console quiet this long has its unfinished line judged (a login prompt ends no line). */
const SETTLE_MS = 1_000;
/** After a panic, the kernel's reason and trace follow for a moment: keep them for the report. */
const FAILURE_GRACE_MS = 2_000;
const STILL_BOOTING_EVERY_MS = 30_000;

type Outcome =
  | { readonly kind: 'verdict'; readonly verdict: ConsoleVerdict; readonly seconds: number }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'exited'; readonly exit: VmExit }
  | { readonly kind: 'aborted' };

const seconds = (ms: number): number => Math.round(ms / 100) / 10;
const indent = (lines: readonly string[]): string => (lines.length ? lines.map((l) => `  | ${l}`).join('\n') : '  (the console printed nothing)');

/** Runs one trial restore; throws RC_ERR_TRIAL_* with the console's last lines when it fails. */
export async function trialBoot(opts: TrialOptions): Promise<TrialReport> {
  const qemu = opts.qemu ?? findExecutable(QEMU_BINARY);
  if (!qemu) throw new RackcastError('RC_ERR_TRIAL_QEMU_MISSING', `${QEMU_BINARY} is not on PATH: install the Debian package qemu-system-x86 (apt-get install qemu-system-x86)`, {});
  if (opts.firmware === 'uefi') requireOvmf();
  abortCheck(opts.signal);
  const dir = await mkdtemp(join(opts.scratchParent ?? tmpdir(), 'rackcast-trial-'));
  // Whatever way this process ends, the scratch disk goes (a second Ctrl-C skips our finally).
  const removeOnExit = (): void => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeOnExit);
  try {
    return await runTrial(opts, qemu, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
    process.off('exit', removeOnExit);
  }
}

function abortCheck(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RackcastError('RC_ERR_TRIAL_CANCELLED', 'trial restore cancelled; its VM and scratch disk were removed', {});
}

/** Resolves when `signal` aborts (never without one). */
function aborted(signal: AbortSignal | undefined): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve('aborted');
    signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(DISK_HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.byteLength, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function runTrial(opts: TrialOptions, qemu: string, dir: string): Promise<TrialReport> {
  const step = opts.onStep ?? (() => undefined);
  const disk = join(dir, 'disk.img');
  step(`exporting ${opts.label} to a scratch disk…`);
  const exportStart = Date.now();
  const exporting = opts.exportTo(disk);
  exporting.catch(() => undefined); // when cancelled mid-export, its failure is not news
  const first = await Promise.race([exporting, aborted(opts.signal)]);
  if (first === 'aborted') abortCheck(opts.signal);
  const version = first as VersionRecord;
  const exportSeconds = seconds(Date.now() - exportStart);
  const firmware = opts.firmware ? { value: opts.firmware, reason: 'forced' } : chooseFirmware(version.config, version.profile, await readHead(disk));
  const bus = opts.bus ?? chooseDiskBus(version.config).value;
  const memMiB = opts.memMiB ?? DEFAULT_MEM_MIB;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const label = `${version.image}@${version.version}`;
  step(`exported ${label} in ${exportSeconds} s`);
  step(`booting ${label}: ${firmware.value} (${firmware.reason}), ${bus} disk, ${memMiB} MiB, no network, timeout ${seconds(timeoutMs)} s…`);
  const watch = new ConsoleWatch(opts.expect ?? DEFAULT_EXPECT);
  const args = await diskVmArgs({ disk, firmware: firmware.value, workDir: dir, memMiB, bus });
  const outcome = await bootAndWatch(qemu, args, watch, timeoutMs, opts.signal, step);
  const tail = watch.tail();
  if (outcome.kind === 'verdict' && outcome.verdict.kind === 'matched') {
    step(`matched after ${outcome.seconds} s: ${outcome.verdict.line}`);
    return {
      image: version.image, version: version.version, firmware: firmware.value, firmwareReason: firmware.reason, diskBus: bus, memMiB,
      exportSeconds, bootSeconds: outcome.seconds, matched: outcome.verdict.line, consoleTail: tail,
    };
  }
  throw failure(outcome, { label, firmware: firmware.value, expect: opts.expect ?? DEFAULT_EXPECT, timeoutMs, tail });
}

/** Starts the VM and waits for a console verdict, the timeout, QEMU's exit or an abort; the VM is dead when this returns. */
async function bootAndWatch(qemu: string, args: readonly string[], watch: ConsoleWatch, timeoutMs: number, signal: AbortSignal | undefined, step: (line: string) => void): Promise<Outcome> {
  const start = Date.now();
  let settleTimer: NodeJS.Timeout | undefined;
  let decide: (o: Outcome) => void = () => undefined;
  const decided = new Promise<Outcome>((resolve) => { decide = resolve; });
  const judged = (verdict: ConsoleVerdict | null): void => {
    if (!verdict) return;
    const outcome: Outcome = { kind: 'verdict', verdict, seconds: seconds(Date.now() - start) };
    if (verdict.kind === 'matched') decide(outcome);
    else setTimeout(() => decide(outcome), FAILURE_GRACE_MS).unref();
  };
  const onOutput = (text: string): void => {
    const known = watch.verdict !== null;
    const verdict = watch.feed(text);
    if (!known) judged(verdict);
    clearTimeout(settleTimer);
    settleTimer = setTimeout(() => { if (!watch.verdict) judged(watch.settle()); }, SETTLE_MS);
  };
  const vm: RunningVm = await startVm(qemu, args, onOutput);
  const timer = setTimeout(() => decide({ kind: 'timeout' }), timeoutMs);
  const ticker = setInterval(() => step(`still booting after ${seconds(Date.now() - start)} s: ${watch.tail().at(-1) ?? '(no console output yet)'}`), STILL_BOOTING_EVERY_MS);
  void vm.exited.then((exit) => decide(watch.verdict ? { kind: 'verdict', verdict: watch.verdict, seconds: seconds(Date.now() - start) } : { kind: 'exited', exit }));
  void aborted(signal).then(() => decide({ kind: 'aborted' }));
  try {
    return await decided;
  } finally {
    clearTimeout(timer);
    clearTimeout(settleTimer);
    clearInterval(ticker);
    await vm.kill();
  }
}

interface FailureContext {
  readonly label: string;
  readonly firmware: Firmware;
  readonly expect: RegExp;
  readonly timeoutMs: number;
  readonly tail: readonly string[];
}

function failure(outcome: Outcome, ctx: FailureContext): RackcastError {
  const details = { image: ctx.label, firmware: ctx.firmware, expect: String(ctx.expect), consoleTail: ctx.tail };
  const lines = `last console lines:\n${indent(ctx.tail)}`;
  const hint = 'the image needs a serial console on ttyS0 (console=ttyS0,115200 or a getty there); pass --expect for other text, --uefi/--bios to force the firmware';
  switch (outcome.kind) {
    case 'aborted':
      return new RackcastError('RC_ERR_TRIAL_CANCELLED', 'trial restore cancelled; its VM and scratch disk were removed', details);
    case 'timeout':
      return new RackcastError('RC_ERR_TRIAL_NO_MARKER', `${ctx.label} did not show ${ctx.expect} on its serial console within ${seconds(ctx.timeoutMs)} s (${ctx.firmware}); ${hint}; ${lines}`, { ...details, reason: 'timeout' });
    case 'exited': {
      const { code, signal } = outcome.exit;
      if (code !== 0) {
        return new RackcastError('RC_ERR_TRIAL_QEMU_FAILED', `QEMU ended with ${signal ?? `exit code ${code}`} before ${ctx.label} showed ${ctx.expect}; ${lines}`, { ...details, exitCode: code });
      }
      return new RackcastError('RC_ERR_TRIAL_NO_MARKER', `${ctx.label} powered off or reset without showing ${ctx.expect} (${ctx.firmware}); ${hint}; ${lines}`, { ...details, reason: 'vm-exited' });
    }
    case 'verdict': {
      const { verdict } = outcome;
      if (verdict.kind === 'panic') {
        return new RackcastError('RC_ERR_TRIAL_PANIC', `${ctx.label}'s kernel panicked after ${outcome.seconds} s (${ctx.firmware}): ${verdict.line}; ${lines}`, { ...details, reason: 'panic', line: verdict.line });
      }
      return new RackcastError('RC_ERR_TRIAL_NO_MARKER', `${ctx.label} is not bootable under ${ctx.firmware}: the firmware said "${verdict.line}" after ${outcome.seconds} s; try --${ctx.firmware === 'bios' ? 'uefi' : 'bios'} if the other firmware should boot it; ${lines}`, { ...details, reason: 'no-boot-device', line: verdict.line });
    }
  }
}
