import { readFile } from 'node:fs/promises';
import { detectProfile } from '../profile/index.js';
import { AGENT_VERSION } from '../agent-version.js';
import { agentDiskLibrary } from '../deploy/index.js';
import { AgentSettingsError, bootSettings } from './boot-settings.js';
import { linuxPower, type PowerControl } from './power.js';
import { runStandby, type StandbyEnd } from './standby.js';

/** Options of `rackcast-agent boot`. */
export interface BootCommandOptions {
  /** Kernel command line file, "/proc/cmdline" in the image; a file with a made-up line in tests. */
  readonly cmdlineFile: string;
  readonly server?: string | undefined;
  readonly token?: string | undefined;
  /** sysfs to detect hardware from, e.g. "/sys". */
  readonly sysfsRoot: string;
  /** Print power actions instead of taking them (tests on a real host). */
  readonly dryRunPower: boolean;
  /** Seconds to wait before rebooting when the token is refused, e.g. 30. */
  readonly refusedRebootSeconds: number;
  /** Folder of the disks' device nodes, e.g. "/dev"; tests give a folder of disk files named like the fake sysfs's disks. */
  readonly devDir?: string | undefined;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Stands in for reboot/poweroff off a real boot: one line, and the caller exits as the machine would go away. */
const dryRunPower: PowerControl = async (action) => {
  say(`rackcast-agent: power: ${action} (dry run)`);
};

/** `rackcast-agent boot`: what the preboot image's /init runs. Returns the power action that ended it. */
export async function runBootCommand(options: BootCommandOptions): Promise<StandbyEnd> {
  const cmdline = await readFile(options.cmdlineFile, 'utf8').catch((err: unknown) => {
    throw new AgentSettingsError(`cannot read the kernel command line from ${options.cmdlineFile}: ${(err as Error).message}`);
  });
  const settings = bootSettings(cmdline, { server: options.server, token: options.token });
  say(`rackcast-agent: start: version ${AGENT_VERSION}, server ${settings.server}, boot MAC ${settings.bootMac ?? 'unknown'}`);
  return runStandby({
    settings, agentVersion: AGENT_VERSION, say,
    detect: () => detectProfile({ sysfsRoot: options.sysfsRoot }),
    power: options.dryRunPower ? dryRunPower : linuxPower,
    timing: { refusedRebootMs: options.refusedRebootSeconds * 1000 },
    deploy: { devDir: options.devDir ?? '/dev', disks: agentDiskLibrary({ say, sysfsRoot: options.sysfsRoot }) },
    capture: { devDir: options.devDir ?? '/dev', sysfsRoot: options.sysfsRoot },
  });
}
