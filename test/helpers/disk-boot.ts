// Boots a VM from a raw disk image under QEMU in software emulation, with SeaBIOS (QEMU's
// default) or OVMF (UEFI), and collects the serial console. Used by the golden image tests and
// by deploy tests that boot a restored clone. The VM's NIC, if any, hangs on a QEMU hub with no
// other port: the guest sees a real NIC with the MAC asked for, and no packet leaves QEMU.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runQemu, type QemuRunOptions, type QemuRunResult } from './qemu-run.js';

export type Firmware = 'bios' | 'uefi';

/** Debian's ovmf package: 4 MiB flash, code read-only, variables copied per VM. */
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export interface DiskBootOptions extends QemuRunOptions {
  /** Raw disk image; the guest writes to it (boot a copy to keep the original). */
  readonly disk: string;
  readonly firmware: Firmware;
  /** A NIC on an unconnected hub: model virtio-net-pci or e1000, and its MAC. None when absent. */
  readonly nic?: { readonly model: 'virtio-net-pci' | 'e1000'; readonly mac: string };
  /** Folder for the VM's own OVMF variable store. */
  readonly workDir: string;
  readonly memMiB?: number;
}

/** What a disk boot gave: the serial console, the times of `marks`, how it ended. */
export type DiskBootResult = QemuRunResult;

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
  return runQemu('qemu-system-x86_64', await qemuArgs(opts), opts, marks);
}
