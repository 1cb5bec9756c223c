export { MachineRegistry } from './machine-registry.js';
export type { MachineRegistryOptions, MachineStateStore, AgentChannel, AgentLink, PreparedBoot, MachineListener } from './machine-registry.js';
export { bootTargetFor } from './boot-decision.js';
export type { BootTarget, UnknownMachinePolicy } from './boot-decision.js';
export { normaliseMac, machineSummary, describeJob, MAX_EVENTS, MAX_TOKENS } from './machine-record.js';
export type { MachineRecord, MachineSummary, MachineState, MachineEvent, BootInfo, JobRequest, StoredJob } from './machine-record.js';
