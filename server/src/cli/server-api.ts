import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RackcastConfig } from '../config/index.js';
import { isRackcastErrorCode, RackcastError } from '../errors.js';
import { SERVER_STATE_FILE, type ServerState } from '../main.js';

/** Calls the running server's API; sessions live in the server, so these commands need one. */
export interface ServerApi {
  readonly url: string;
  /** Headers that authenticate this CLI (Authorization: Bearer …). */
  readonly headers: Readonly<Record<string, string>>;
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/** A server to talk to and the credential to send. */
export interface ServerTarget {
  readonly url: string;
  readonly token: string | null;
}

/**
 * Where the CLI's requests go: client.url and client.token from the config (or RACKCAST_URL and
 * RACKCAST_TOKEN), else the server holding the configured store, found through its state file,
 * with the local credential it wrote there. Null when neither names a live server.
 */
export async function findServer(config: Readonly<RackcastConfig>): Promise<ServerTarget | null> {
  const client = config.client;
  if (client?.url) return { url: client.url.replace(/\/+$/, ''), token: client.token ?? null };
  const state = await readServerState(config.store.dir);
  if (!state || !alive(state.pid)) return null;
  const url = state.url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  return { url, token: client?.token ?? state.localToken ?? null };
}

/** Finds the server (see findServer), or says to start one. */
export async function connectServer(config: Readonly<RackcastConfig>): Promise<ServerApi> {
  const target = await findServer(config);
  if (!target) {
    throw new RackcastError('RC_ERR_SERVER_NOT_RUNNING', `no Rackcast server is running on the store at ${config.store.dir}; start one with \`rackcast serve\`, or set RACKCAST_URL and RACKCAST_TOKEN`);
  }
  const headers: Record<string, string> = target.token ? { authorization: `Bearer ${target.token}` } : {};
  return { url: target.url, headers, call: (method, path, body) => request(target.url, headers, method, path, body) };
}

export async function readServerState(dir: string): Promise<ServerState | null> {
  try {
    return JSON.parse(await readFile(join(dir, SERVER_STATE_FILE), 'utf8')) as ServerState;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function request<T>(base: string, headers: Readonly<Record<string, string>>, method: string, path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new RackcastError('RC_ERR_SERVER_UNREACHABLE', `the server at ${base} does not answer: ${(err as Error).message}`, {}, { cause: err });
  }
  if (res.status === 204) return {} as T;
  const json = (await res.json().catch(() => ({}))) as { error?: { code?: unknown; message?: unknown; details?: Record<string, unknown> } };
  if (res.ok) return json as T;
  const code = json.error?.code;
  throw new RackcastError(isRackcastErrorCode(code) ? code : 'RC_ERR_INTERNAL', typeof json.error?.message === 'string' ? json.error.message : `HTTP ${res.status}`, json.error?.details ?? {});
}
