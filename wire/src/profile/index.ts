export { PROFILE_SCHEMA_VERSION, PROFILE_LIMITS } from './machine-profile.js';
export type {
  MachineProfile, SystemProfile, FirmwareProfile, FirmwareMode, CpuProfile, MemoryProfile, DiskProfile, NicProfile,
} from './machine-profile.js';
export { parseMachineProfile, parseMacText } from './parse-profile.js';
export {
  MACHINE_JOB_ACTIONS, parseAgentRegistration, parseAgentRegistrationReply, parseMachineServerMessage, parseMachineAgentMessage,
} from './machine-messages.js';
export type {
  MachineJobAction, MachineJob, AgentRegistration, AgentRegistrationReply, MachineServerMessage, MachineAgentMessage,
} from './machine-messages.js';
