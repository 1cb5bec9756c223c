// Boots a VM from a raw disk image under QEMU in software emulation, with SeaBIOS (QEMU's
// default) or OVMF (UEFI), and collects the serial console. Used by the golden image tests and
// by deploy tests that boot a restored clone. The VM's NIC, if any, hangs on a QEMU hub with no
// other port: the guest sees a real NIC with the MAC asked for, and no packet leaves QEMU.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

export type Firmware = 'bios' | 'uefi';

/** Debian's ovmf package: 4 MiB flash, code read-only, variables copied per VM. */
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export interface DiskBootOptions {
  /** Raw disk image; the guest writes to it (boot a copy to keep the original). */
  readonly disk: string;
  readonly firmware: Firmware;
  /** A NIC on an unconnected hub: model virtio-net-pci or e1000, and its MAC. None when absent. */
  readonly nic?: { readonly model: 'virtio-net-pci' | 'e1000'; readonly mac: string };
  /** Folder for the VM's own OVMF variable store. */
  readonly workDir: string;
  readonly memMiB?: number;
  /** Hard limit: QEMU is killed (by its process group) after this long. */
  readonly timeoutMs: number;
  /** Serial log copy, for reading after a failure. */
  readonly logFile?: string;
}

export interface DiskBootResult {
  readonly log: string;
  /** Seconds from QEMU's start to the first line matching each pattern of `marks`. */
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

async function qemuArgs(opts: DiskBootOptions): Promise<string[]> {
  const args = ['-machine', 'pc,accel=tcg', '-smp', '1', '-m', String(opts.memMiB ?? 512), '-nographic', '-no-reboot'];
  if (opts.firmware === 'uefi') {
    const vars = join(opts.workDir, `ovmf-vars-${process.pid}-${Date.now()}.fd`);
    await copyFile(OVMF_VARS, vars);
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,unit=1,file=${vars}`);
  }
  if (opts.nic) args.push('-netdev', 'hubport,id=n0,hubid=0', '-device', `${opts.nic.model},netdev=n0,mac=${opts.nic.mac}`);
  else args.push('-nic', 'none');
  args.push('-drive', `file=${opts.disk},format=raw,if=virtio,cache=unsafe`);
  return args;
}

/** Runs one VM until it powers off (-no-reboot: a panic's reboot also ends it) or `timeoutMs` passes. */
export async function bootDisk(opts: DiskBootOptions, marks: Readonly<Record<string, RegExp>> = {}): Promise<DiskBootResult> {
  const args = await qemuArgs(opts);
  installExitHook();
  const start = Date.now();
  // detached: QEMU leads its own process group, which is what a timeout kills.
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
