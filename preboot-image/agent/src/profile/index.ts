export { detectProfile } from './detect-profile.js';
export type { DetectOptions } from './detect-profile.js';
export type { HardwareInfo } from './hardware-info.js';
export type { AddressSource } from './nic-probe.js';
export { Sysfs } from './sysfs.js';
export { readDisks } from './disk-probe.js';
