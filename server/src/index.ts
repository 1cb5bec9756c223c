/** @rackcast/server public surface, for tests and scripts. */
export * from './store/index.js';
export * from './image/index.js';
export { loadConfig, ConfigSchema, parseByteSize, DEFAULT_CONFIG_PATH } from './config/index.js';
export type { RackcastConfig, ConfigEnv } from './config/index.js';
export { createApp } from './api/index.js';
export type { ApiErrorBody } from './api/index.js';
export { startServer, openStore, SERVER_STATE_FILE } from './main.js';
export type { RunningServer, ServerState } from './main.js';
export { RackcastError, hasCode, ERROR_SPECS } from './errors.js';
export type { RackcastErrorCode } from './errors.js';
export { createLogger, silentLogger } from './log.js';
export { RACKCAST_VERSION } from './version.js';
export { SessionRegistry, StreamSession, DEFAULT_TIMERS, planRepairPass, findStragglers } from './session/index.js';
export type { SessionRecord, ReceiverRecord, SessionTimers } from './session/index.js';
export { parseBitRate } from './api/index.js';
