export { personaliseClone } from './personalise-clone.js';
export type { PersonaliseOptions, PersonaliseResult } from './personalise-clone.js';
export { PersonaliseError } from './personalise-error.js';
export type { PersonaliseErrorCode } from './personalise-error.js';
export type { BootEntryOutcome, UefiBootEntry } from './boot-entry.js';
export type { NetworkFormat } from './network-config.js';
export type { MachineIdAction } from './machine-id.js';
