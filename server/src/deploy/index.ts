export { DeployRegistry } from './deploy-registry.js';
export type { DeployRequest, DeployRegistryOptions, DeploySessions, PlannedMember } from './deploy-registry.js';
export type { DeployView, MemberView, MemberState, MemberTry } from './deploy-record.js';
export { planRestore, chooseTargetDisk } from './plan-restore.js';
export type { PlanResult, PlanRefusal, PlanOptions, NicPolicy } from './plan-restore.js';
export { readImageFacts } from './image-facts.js';
export type { ImageFacts, FactPartition } from './image-facts.js';
export { expandHostname, checkHostnamePattern, DEFAULT_HOSTNAME_PATTERN } from './hostname-pattern.js';
