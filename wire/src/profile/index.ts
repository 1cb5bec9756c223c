export { PROFILE_SCHEMA_VERSION, PROFILE_LIMITS } from './machine-profile.js';
export type {
  MachineProfile, SystemProfile, FirmwareProfile, FirmwareMode, CpuProfile, MemoryProfile, DiskProfile, NicProfile,
} from './machine-profile.js';
export { parseMachineProfile, parseMacText } from './parse-profile.js';
export {
  MACHINE_JOB_ACTIONS, DEPLOY_STAGES, CAPTURE_STAGES, parseAgentRegistration, parseAgentRegistrationReply, parseMachineServerMessage, parseMachineAgentMessage,
} from './machine-messages.js';
export type {
  MachineJobAction, MachineJob, DeployJobSpec, DeployStage, DeployProgress, DeployFailure, DeployStatusMessage, CaptureJobSpec, CaptureStage, CaptureProgress, CaptureStatusMessage, AgentRegistration, AgentRegistrationReply, MachineServerMessage, MachineAgentMessage,
} from './machine-messages.js';
