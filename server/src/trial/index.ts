export { trialBoot, DEFAULT_TIMEOUT_MS, DEFAULT_MEM_MIB } from './trial-boot.js';
export type { TrialOptions, TrialReport } from './trial-boot.js';
export { ConsoleWatch, DEFAULT_EXPECT, TAIL_LINES, cleanConsoleLine, parseExpect } from './console-watch.js';
export type { ConsoleVerdict } from './console-watch.js';
export { chooseFirmware, chooseDiskBus } from './boot-choice.js';
export type { Firmware, DiskBus, Choice } from './boot-choice.js';
export { diskVmArgs, startVm, findExecutable, QEMU_BINARY, OVMF_CODE, OVMF_VARS } from './qemu-vm.js';
export type { DiskVmSpec, RunningVm, VmExit } from './qemu-vm.js';
