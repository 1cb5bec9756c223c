export { runBootCommand } from './boot-command.js';
export type { BootCommandOptions } from './boot-command.js';
export { bootSettings, parseBootIf, AgentSettingsError } from './boot-settings.js';
export type { BootSettings, BootOverrides } from './boot-settings.js';
export { runStandby, DEFAULT_STANDBY_TIMING } from './standby.js';
export type { StandbyOptions, StandbyTiming, StandbyEnd } from './standby.js';
export type { PowerAction, PowerControl } from './power.js';
