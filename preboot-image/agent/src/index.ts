/** @rackcast/agent public surface. */
export { parseKernelCommandLine } from './agent-settings.js';
export type { AgentSettings } from './agent-settings.js';
export * from './receive/index.js';
