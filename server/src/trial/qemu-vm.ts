// One QEMU VM booting a raw disk file: its command line, and the process, killed by its
// process group so no VM outlives the command that started it. Software emulation (TCG): the
// project's machines and most servers running Rackcast have no KVM to lend.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { RackcastError } from '../errors.js';
import type { DiskBus, Firmware } from './boot-choice.js';

export const QEMU_BINARY = 'qemu-system-x86_64';
/** Debian's ovmf package: 4 MiB flash, code read-only, variables copied per VM. */
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export interface DiskVmSpec {
  /** Raw disk image; the guest writes to it (boot a copy to keep the original). */
  readonly disk: string;
  readonly firmware: Firmware;
  /** Folder for the VM's own copy of the OVMF variable store. */
  readonly workDir: string;
  readonly memMiB?: number;
  readonly bus?: DiskBus;
  /**
   * A NIC on a QEMU hub with no other port: the guest sees a real NIC with this MAC and no
   * packet leaves QEMU. None (`-nic none`) when absent.
   */
  readonly nic?: { readonly model: 'virtio-net-pci' | 'e1000'; readonly mac: string };
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** The full path of an executable on `searchPath` (PATH's format), or null. */
export function findExecutable(name: string, searchPath: string = process.env['PATH'] ?? ''): string | null {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* not here */ }
  }
  return null;
}

/** Throws RC_ERR_TRIAL_FIRMWARE_MISSING when OVMF is not installed. */
export function requireOvmf(): void {
  if (readable(OVMF_CODE) && readable(OVMF_VARS)) return;
  throw new RackcastError('RC_ERR_TRIAL_FIRMWARE_MISSING', `UEFI firmware not found at ${OVMF_CODE}: install the Debian package ovmf (apt-get install ovmf), or boot with --bios`, { path: OVMF_CODE });
}

function diskArgs(disk: string, bus: DiskBus): string[] {
  // cache=unsafe: the disk is scratch, and TCG boots are slow enough without fsyncs.
  const drive = `file=${disk.replaceAll(',', ',,')},format=raw,cache=unsafe`;
  if (bus === 'virtio') return ['-drive', `${drive},if=virtio`];
  if (bus === 'nvme') return ['-drive', `${drive},if=none,id=d0`, '-device', 'nvme,drive=d0,serial=rackcast-trial'];
  return ['-device', 'ahci,id=ahci', '-drive', `${drive},if=none,id=d0`, '-device', 'ide-hd,drive=d0,bus=ahci.0'];
}

/**
 * QEMU's arguments for booting `spec.disk`: one vCPU, serial console on stdout (-nographic),
 * no reboot (a guest's reset or panic reboot ends QEMU), no network unless asked.
 */
export async function diskVmArgs(spec: DiskVmSpec): Promise<string[]> {
  const args = ['-machine', 'pc,accel=tcg', '-smp', '1', '-m', String(spec.memMiB ?? 512), '-nographic', '-no-reboot'];
  if (spec.firmware === 'uefi') {
    requireOvmf();
    const vars = join(spec.workDir, `ovmf-vars-${process.pid}-${Date.now()}.fd`);
    await copyFile(OVMF_VARS, vars);
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,unit=1,file=${vars.replaceAll(',', ',,')}`);
  }
  if (spec.nic) args.push('-netdev', 'hubport,id=n0,hubid=0', '-device', `${spec.nic.model},netdev=n0,mac=${spec.nic.mac}`);
  else args.push('-nic', 'none');
  args.push(...diskArgs(spec.disk, spec.bus ?? 'virtio'));
  return args;
}

export interface VmExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RunningVm {
  readonly pid: number;
  /** Settles when QEMU has exited and its output is read. */
  readonly exited: Promise<VmExit>;
  /** SIGKILLs QEMU's process group (no-op once it is gone) and waits for the exit. */
  kill(): Promise<VmExit>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
}

/** If this process ends any way Node still runs 'exit' handlers, its VMs end with it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => { for (const c of live) killGroup(c); });
}

/**
 * Starts `qemu args` detached (its own process group, so the terminal's Ctrl-C reaches only
 * us and we decide the order of cleanup) and streams its console and stderr to `onOutput`.
 * Rejects with RC_ERR_TRIAL_QEMU_MISSING when the binary cannot be started.
 */
export function startVm(qemu: string, args: readonly string[], onOutput: (text: string) => void): Promise<RunningVm> {
  installExitHook();
  const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  child.stdout?.setEncoding('latin1').on('data', onOutput);
  child.stderr?.setEncoding('utf8').on('data', onOutput);
  const exited = new Promise<VmExit>((resolve) => {
    child.on('close', (code, signal) => { live.delete(child); resolve({ code, signal }); });
  });
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      live.delete(child);
      reject(new RackcastError('RC_ERR_TRIAL_QEMU_MISSING', `cannot start ${qemu}: ${err.message}; install the Debian package qemu-system-x86`, { qemu }, { cause: err }));
    });
    child.once('spawn', () => resolve({
      pid: child.pid ?? -1,
      exited,
      kill: async () => { killGroup(child); return exited; },
    }));
  });
}
