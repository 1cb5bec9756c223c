import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RackcastConfig } from '../config/index.js';
import { isRackcastErrorCode, RackcastError } from '../errors.js';
import { SERVER_STATE_FILE, type ServerState } from '../main.js';

/** Calls the running server's API; sessions live in the server, so these commands need one. */
export interface ServerApi {
  readonly url: string;
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/** Finds the server that holds the configured store (its state file), or says to start one. */
export async function connectServer(config: Readonly<RackcastConfig>): Promise<ServerApi> {
  const state = await readFile(join(config.store.dir, SERVER_STATE_FILE), 'utf8').then((t) => JSON.parse(t) as ServerState).catch(() => null);
  if (!state || !alive(state.pid)) {
    throw new RackcastError('RC_ERR_SERVER_NOT_RUNNING', `no Rackcast server is running on the store at ${config.store.dir}; start one with \`rackcast serve\``);
  }
  const url = state.url.replace('//0.0.0.0:', '//127.0.0.1:');
  return { url, call: (method, path, body) => request(url, method, path, body) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function request<T>(base: string, method: string, path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new RackcastError('RC_ERR_SERVER_UNREACHABLE', `the server at ${base} does not answer: ${(err as Error).message}`, {}, { cause: err });
  }
  const json = (await res.json().catch(() => ({}))) as { error?: { code?: unknown; message?: unknown } };
  if (res.ok) return json as T;
  const code = json.error?.code;
  throw new RackcastError(isRackcastErrorCode(code) ? code : 'RC_ERR_INTERNAL', typeof json.error?.message === 'string' ? json.error.message : `HTTP ${res.status}`);
}
