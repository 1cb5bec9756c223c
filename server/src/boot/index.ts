export { BOOT_PATHS, resolveBootEndpoints } from './boot-endpoints.js';
export type { BootEndpoints } from './boot-endpoints.js';
export { renderChainScript, renderAgentScript, renderLocalBootScript, renderRefusalScript, PREBOOT_FILES } from './ipxe-script.js';
export type { AgentScriptInput } from './ipxe-script.js';
export { findBootFile } from './boot-files.js';
export type { BootFileFolders, BootFile } from './boot-files.js';
export { decideBoot, classifyFirmware, createBootDecider, IPXE_BINARIES } from './boot-policy.js';
export type { BootAnswer, BootVerdict, BootQuery, FirmwareClass, BootPolicySettings, BootDeciderOptions } from './boot-policy.js';
