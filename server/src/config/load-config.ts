import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { RackcastError } from '../errors.js';
import { ConfigSchema, type RackcastConfig } from './schema.js';

/** The embedded default configuration shipped in the repository. */
export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../../config/default.yaml', import.meta.url));

/** Environment variables that override config keys (documented in config/default.yaml). */
export interface ConfigEnv {
  readonly RACKCAST_STORE_DIR?: string | undefined;
  readonly RACKCAST_HTTP_PORT?: string | undefined;
  readonly RACKCAST_HTTP_HOST?: string | undefined;
  readonly RACKCAST_LOG_LEVEL?: string | undefined;
  readonly RACKCAST_MULTICAST_INTERFACE?: string | undefined;
  readonly RACKCAST_MULTICAST_SEGMENT_OFFLOAD?: string | undefined;
  readonly RACKCAST_BOOT_INTERFACE?: string | undefined;
  readonly RACKCAST_BOOT_ADDRESS?: string | undefined;
  readonly RACKCAST_DHCP_MODE?: string | undefined;
  /** The CLI's server and API token (client.url, client.token). */
  readonly RACKCAST_URL?: string | undefined;
  readonly RACKCAST_TOKEN?: string | undefined;
}

type Tree = Record<string, unknown>;

/**
 * Loads the default config, merges the file the user named over it, applies environment
 * overrides, validates the result once, and returns it deep-frozen. Relative paths in a file
 * are resolved against that file's folder; paths from the environment against the working
 * directory. Errors name the file and the key at fault.
 */
export function loadConfig(file: string | undefined, env: ConfigEnv, cwd: string = process.cwd()): Readonly<RackcastConfig> {
  const base = readYaml(DEFAULT_CONFIG_PATH);
  resolvePaths(base, dirname(DEFAULT_CONFIG_PATH));
  let merged = base;
  if (file !== undefined) {
    const user = readYaml(resolve(cwd, file));
    resolvePaths(user, dirname(resolve(cwd, file)));
    merged = deepMerge(base, user);
  }
  applyEnv(merged, env, cwd);
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) throw configError(result.error, file ?? DEFAULT_CONFIG_PATH);
  return deepFreeze(result.data);
}

function readYaml(path: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RackcastError('RC_ERR_CONFIG_NOT_FOUND', `cannot read config file ${path}: ${(err as Error).message}`, { file: path });
  }
  try {
    const value: unknown = parseYaml(text);
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error('the top level must be a mapping of keys');
    return value as Tree;
  } catch (err) {
    throw new RackcastError('RC_ERR_CONFIG_INVALID', `config file ${path} is not valid YAML: ${(err as Error).message}`, { file: path });
  }
}

/** Config keys holding paths, resolved against the folder of the file that sets them. */
const PATH_KEYS: ReadonlyArray<readonly [string, string]> = [['store', 'dir'], ['boot', 'prebootDir'], ['boot', 'ipxeDir']];

function resolvePaths(tree: Tree, folder: string): void {
  for (const [sectionName, key] of PATH_KEYS) {
    const section = tree[sectionName];
    if (isTree(section) && typeof section[key] === 'string' && section[key] !== '' && !isAbsolute(section[key])) {
      section[key] = resolve(folder, section[key]);
    }
  }
}

function applyEnv(tree: Tree, env: ConfigEnv, cwd: string): void {
  const section = (name: string): Tree => {
    const value = tree[name];
    if (isTree(value)) return value;
    const created: Tree = {};
    tree[name] = created;
    return created;
  };
  if (env.RACKCAST_STORE_DIR) section('store')['dir'] = resolve(cwd, env.RACKCAST_STORE_DIR);
  if (env.RACKCAST_HTTP_PORT) section('http')['port'] = numberOrText(env.RACKCAST_HTTP_PORT);
  if (env.RACKCAST_HTTP_HOST) section('http')['host'] = env.RACKCAST_HTTP_HOST;
  if (env.RACKCAST_LOG_LEVEL) section('log')['level'] = env.RACKCAST_LOG_LEVEL;
  if (env.RACKCAST_MULTICAST_INTERFACE) section('multicast')['interface'] = env.RACKCAST_MULTICAST_INTERFACE;
  if (env.RACKCAST_MULTICAST_SEGMENT_OFFLOAD) section('multicast')['segmentOffload'] = booleanOrText(env.RACKCAST_MULTICAST_SEGMENT_OFFLOAD);
  if (env.RACKCAST_BOOT_INTERFACE) section('boot')['interface'] = env.RACKCAST_BOOT_INTERFACE;
  if (env.RACKCAST_BOOT_ADDRESS) section('boot')['address'] = env.RACKCAST_BOOT_ADDRESS;
  if (env.RACKCAST_DHCP_MODE) section('dhcp')['mode'] = env.RACKCAST_DHCP_MODE;
  if (env.RACKCAST_URL) section('client')['url'] = env.RACKCAST_URL;
  if (env.RACKCAST_TOKEN) section('client')['token'] = env.RACKCAST_TOKEN;
}

/** "true" and "false" as booleans; other text stays text so validation can name it. */
function booleanOrText(text: string): boolean | string {
  return text === 'true' ? true : text === 'false' ? false : text;
}

/** Keeps non-numeric text as text so validation can name the bad value. */
function numberOrText(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}

function configError(error: z.ZodError, file: string): RackcastError {
  const lines = error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k].join('.')) : [issue.path.join('.')];
    const what = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
    return keys.map((key) => `config key ${key || '(top level)'}: ${what}`).join('\n');
  });
  return new RackcastError('RC_ERR_CONFIG_INVALID', `invalid configuration (${file}):\n${lines.join('\n')}`, { file, issues: lines });
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
