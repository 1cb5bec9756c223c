// Boots a VM from a raw disk image under QEMU in software emulation, with SeaBIOS (QEMU's
// default) or OVMF (UEFI), and collects the serial console. Used by the golden image tests and
// by deploy tests that boot a restored clone. The command line is the product's own (the trial
// restore's, server/src/trial): the VM's NIC, if any, hangs on a QEMU hub with no other port,
// so the guest sees a real NIC with the MAC asked for, and no packet leaves QEMU.
import { diskVmArgs, type DiskVmSpec } from '@rackcast/server';
import { runQemu, type QemuRunOptions, type QemuRunResult } from './qemu-run.js';

export type { Firmware } from '@rackcast/server';

export interface DiskBootOptions extends QemuRunOptions, DiskVmSpec {}

/** What a disk boot gave: the serial console, the times of `marks`, how it ended. */
export type DiskBootResult = QemuRunResult;

/** Runs one VM until it powers off (-no-reboot: a panic's reboot also ends it) or `timeoutMs` passes. */
export async function bootDisk(opts: DiskBootOptions, marks: Readonly<Record<string, RegExp>> = {}): Promise<DiskBootResult> {
  return runQemu('qemu-system-x86_64', await diskVmArgs(opts), opts, marks);
}
