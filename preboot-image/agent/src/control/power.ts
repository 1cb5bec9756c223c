import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a job may ask of the machine itself. */
export type PowerAction = 'reboot' | 'poweroff';

/** Carries out a power action; injected so tests never reboot the host they run on. */
export type PowerControl = (action: PowerAction) => Promise<void>;

/** Magic SysRq keys (Documentation/admin-guide/sysrq.rst): b reboots, o powers off, at once. */
const SYSRQ: Readonly<Record<PowerAction, string>> = { reboot: 'b', poweroff: 'o' };

/**
 * The real thing in the preboot image: sync, then busybox `reboot -f` / `poweroff -f` (the
 * reboot(2) call, no init involved), then `busybox <action> -f` if the applet link is missing,
 * and the kernel's SysRq trigger as the last way left.
 */
export const linuxPower: PowerControl = async (action) => {
  await run('sync').catch(() => undefined);
  for (const [cmd, args] of [[action, ['-f']], ['busybox', [action, '-f']]] as const) {
    try {
      await run(cmd, [...args], { timeout: 10_000 });
      return;
    } catch {
      // try the next way
    }
  }
  await writeFile('/proc/sysrq-trigger', SYSRQ[action]);
};
