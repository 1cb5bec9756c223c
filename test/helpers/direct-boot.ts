// Boots a kernel + initramfs under QEMU without firmware or network boot (QEMU's -kernel /
// -initrd), in software emulation (no KVM here), and collects the serial console. Used by the
// preboot image tests: faster than PXE and independent of the boot server. The VM gets no NIC
// unless the caller adds one (never QEMU's default user-mode network, which would reach out).
import { runQemu, type QemuRunOptions, type QemuRunResult } from './qemu-run.js';

export interface DirectBootOptions extends QemuRunOptions {
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
}

/** What a direct boot gave: the serial console, the times of `marks`, how it ended. */
export type DirectBootResult = QemuRunResult;

/**
 * Runs one VM until it powers off (the preboot self-test does) or `timeoutMs` passes. `marks`
 * names patterns whose first appearance time is recorded (e.g. the self-test line).
 */
export function bootDirect(opts: DirectBootOptions, marks: Readonly<Record<string, RegExp>> = {}): Promise<DirectBootResult> {
  const qemu = ['qemu-system-x86_64', '-machine', 'pc,accel=tcg', '-smp', '1', '-m', String(opts.memMiB ?? 2048),
    '-nographic', '-no-reboot', '-nic', 'none', ...(opts.qemuArgs ?? []),
    '-kernel', opts.kernel, '-initrd', opts.initrd, '-append', opts.append];
  // `ip netns exec` execs QEMU, so the process (and its group) is QEMU's.
  const [cmd, ...args] = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...qemu] : qemu;
  return runQemu(cmd as string, args, opts, marks);
}
