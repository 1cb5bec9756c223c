/** @rackcast/agent public surface. */
export { parseKernelCommandLine } from './agent-settings.js';
export type { AgentSettings } from './agent-settings.js';
export * from './receive/index.js';
export { detectProfile } from './profile/index.js';
export type { DetectOptions, HardwareInfo } from './profile/index.js';
export { runStandby, runBootCommand, bootSettings, parseBootIf, DEFAULT_STANDBY_TIMING } from './control/index.js';
export type { StandbyOptions, StandbyTiming, StandbyEnd, BootSettings, PowerControl, PowerAction } from './control/index.js';
export { AGENT_VERSION } from './agent-version.js';
export {
  DiskError, findPlannedDisk, isPlannedDisk, checkDiskSafety, bootArea, bootWipeRanges, wipeBootArea, fitTargetDisk,
  readPartitionTable, parseSfdiskJson, readExt4Superblock, decodeExt4Superblock, runTool, commandLine,
} from './disk/index.js';
export type {
  DiskErrorCode, DiskSafetyOptions, BootArea, FitOptions, FitResult, StepLog, Partition, PartitionTable, Ext4Superblock,
  ToolRunner, ToolRun, ToolOptions,
} from './disk/index.js';
export { personaliseClone, PersonaliseError } from './personalise/index.js';
export type { PersonaliseOptions, PersonaliseResult, PersonaliseErrorCode, BootEntryOutcome, NetworkFormat, MachineIdAction } from './personalise/index.js';
export { runCapture, CaptureError, buildUsedMap, openCaptureSource, planBlocks, hashDisk, parseDomainMap, parseDumpe2fs } from './capture/index.js';
export type { CaptureOptions, CaptureResult, CaptureErrorCode, UsedMap, CaptureSource, PlannedBlock } from './capture/index.js';
