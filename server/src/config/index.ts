export { loadConfig, DEFAULT_CONFIG_PATH } from './load-config.js';
export type { ConfigEnv } from './load-config.js';
export { ConfigSchema, parseByteSize } from './schema.js';
export type { RackcastConfig } from './schema.js';
