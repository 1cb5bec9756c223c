import { bootArea, checkDiskSafety, findPlannedDisk, fitTargetDisk, wipeBootArea, zeroUnstoredRanges } from '../disk/index.js';
import { personaliseClone } from '../personalise/index.js';
import type { DiskLibrary } from './disk-library.js';

export interface AgentDiskOptions {
  /** Prints one console line. */
  say(line: string): void;
  /** sysfs the agent detected its hardware from, e.g. "/sys" (a fake tree in tests: no host NVRAM or disks are touched). */
  readonly sysfsRoot: string;
}

/**
 * The one place the agent wires its disk library (src/disk/, src/personalise/) into the deploy
 * runner, with its console for the steps' lines.
 *
 * NOTE: only the firmware question (is this a UEFI machine? personaliseClone) reads the sysfs
 * the hardware was detected from. Safety checks and fitting act on the kernel's real devices
 * (a disk file is attached to a real loop device), so they read the real /sys; in the preboot
 * image both are /sys anyway.
 */
export function agentDiskLibrary(options: AgentDiskOptions): DiskLibrary {
  const log = (line: string): void => options.say(`rackcast-agent: deploy: ${line}`);
  return {
    findPlannedDisk,
    checkDiskSafety: (devicePath, plan, disks) => checkDiskSafety(devicePath, plan, { disks }),
    bootArea,
    wipeBootArea,
    zeroUnstored: async (devicePath, blocks, limit) => {
      const zeroed = await zeroUnstoredRanges(devicePath, blocks, limit);
      options.say(`rackcast-agent: deploy: zeroed ${zeroed.ranges} ranges (${zeroed.bytes} bytes) the image does not store`);
    },
    fitTargetDisk: async (devicePath, plan) => {
      await fitTargetDisk(devicePath, plan, log);
    },
    personaliseClone: async (devicePath, plan) => {
      await personaliseClone(devicePath, plan, { sysRoot: options.sysfsRoot, log });
    },
  };
}
