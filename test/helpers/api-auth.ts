import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_ACTOR, SERVER_STATE_FILE, type Role, type RunningServer, type ServerState } from '@rackcast/server';

/** Fetch headers that authenticate as each role. */
export type RoleHeaders = Readonly<Record<Role, Readonly<Record<string, string>>>>;

/**
 * API tokens for a viewer, an operator and an admin on an in-process server, made directly in
 * its account store (as `rackcast token create` on the server machine would), for tests that
 * call the API. Cheap: tokens are hashed with SHA-256, no scrypt.
 */
export async function apiAuth(server: RunningServer): Promise<RoleHeaders> {
  const creator = { name: LOCAL_ACTOR, role: 'admin', via: 'local', account: LOCAL_ACTOR } as const;
  const headers = async (role: Role) => {
    const { secret } = await server.auth.accounts.createToken(creator, `test-${role}`, role);
    return { authorization: `Bearer ${secret}` };
  };
  return { viewer: await headers('viewer'), operator: await headers('operator'), admin: await headers('admin') };
}

/** Admin headers for a server in another process: the local credential it wrote beside its store. */
export async function localAdminHeaders(storeDir: string): Promise<Record<string, string>> {
  const state = JSON.parse(await readFile(join(storeDir, SERVER_STATE_FILE), 'utf8')) as ServerState;
  if (!state.localToken) throw new Error(`no local credential in ${join(storeDir, SERVER_STATE_FILE)}`);
  return { authorization: `Bearer ${state.localToken}` };
}

/** Logs in through POST /api/auth/login and returns the session cookie it set (for a browser context). */
export async function loginCookie(url: string, username: string, password: string): Promise<{ name: string; value: string }> {
  const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const [pair] = (res.headers.get('set-cookie') ?? '').split(';');
  const eq = pair?.indexOf('=') ?? -1;
  if (res.status !== 200 || pair === undefined || eq < 1) throw new Error(`login as ${username} failed: HTTP ${res.status} ${await res.text()}`);
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
}
