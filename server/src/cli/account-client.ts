import type { RackcastConfig } from '../config/index.js';
import { AccountStore, AuditLog, LOCAL_ACTOR, type AuditEntry, type Role, type TokenView, type UserView } from '../auth/index.js';
import { hasCode } from '../errors.js';
import type { Logger } from '../log.js';
import { openStore } from '../main.js';
import { connectServer, findServer } from './server-api.js';

/** Accounts, tokens and the audit log, through the running server's API or the store opened here. */
export interface AccountClient {
  readonly via: 'server' | 'store';
  listUsers(): Promise<UserView[]>;
  addUser(name: string, password: string, role: Role): Promise<UserView>;
  updateUser(name: string, change: { password?: string; role?: Role }): Promise<UserView>;
  removeUser(name: string): Promise<UserView>;
  listTokens(): Promise<TokenView[]>;
  createToken(name: string, role: Role): Promise<{ token: TokenView; secret: string }>;
  removeToken(id: string): Promise<TokenView>;
  audit(limit: number): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

/**
 * The server when one is configured (client.url) or holds the store; otherwise the store itself,
 * so the first admin can be made before the server ever ran. Changes made on the store are
 * audited as the local CLI.
 */
export async function openAccountClient(config: Readonly<RackcastConfig>, log: Logger): Promise<AccountClient> {
  if (!config.client?.url) {
    try {
      const store = await openStore(config, log);
      return localAccountClient(await AccountStore.open(store), await AuditLog.open(store), () => store.close());
    } catch (err) {
      if (!hasCode(err, 'RC_ERR_STORE_LOCKED') || !(await findServer(config))) throw err;
    }
  }
  return serverAccountClient(config);
}

async function serverAccountClient(config: Readonly<RackcastConfig>): Promise<AccountClient> {
  const api = await connectServer(config);
  const user = (name: string) => `/api/users/${encodeURIComponent(name)}`;
  return {
    via: 'server',
    listUsers: async () => (await api.call<{ users: UserView[] }>('GET', '/api/users')).users,
    addUser: async (name, password, role) => (await api.call<{ user: UserView }>('POST', '/api/users', { name, password, role })).user,
    updateUser: async (name, change) => (await api.call<{ user: UserView }>('PUT', user(name), change)).user,
    removeUser: async (name) => (await api.call<{ user: UserView }>('DELETE', user(name))).user,
    listTokens: async () => (await api.call<{ tokens: TokenView[] }>('GET', '/api/tokens')).tokens,
    createToken: (name, role) => api.call<{ token: TokenView; secret: string }>('POST', '/api/tokens', { name, role }),
    removeToken: async (id) => (await api.call<{ token: TokenView }>('DELETE', `/api/tokens/${encodeURIComponent(id)}`)).token,
    audit: async (limit) => (await api.call<{ entries: AuditEntry[] }>('GET', `/api/audit?limit=${limit}`)).entries,
    close: async () => undefined,
  };
}

function localAccountClient(accounts: AccountStore, audit: AuditLog, close: () => Promise<void>): AccountClient {
  const local = { name: LOCAL_ACTOR, role: 'admin', via: 'local', account: LOCAL_ACTOR } as const;
  /** Runs a change and audits it as the HTTP route would have been. */
  const audited = async <T>(action: string, target: string, status: number, work: () => Promise<T>): Promise<T> => {
    const result = await work();
    await audit.append({ at: new Date().toISOString(), actor: LOCAL_ACTOR, via: 'local', role: 'admin', action, target, status, ip: '' });
    return result;
  };
  return {
    via: 'store',
    listUsers: async () => accounts.listUsers(),
    addUser: (name, password, role) => audited('POST /api/users', '/api/users', 201, () => accounts.addUser(name, password, role)),
    updateUser: (name, change) => audited('PUT /api/users', `/api/users/${name}`, 200, () => accounts.updateUser(name, change)),
    removeUser: (name) => audited('DELETE /api/users', `/api/users/${name}`, 200, () => accounts.removeUser(name)),
    listTokens: async () => accounts.listTokens(),
    createToken: (name, role) => audited('POST /api/tokens', '/api/tokens', 201, () => accounts.createToken(local, name, role)),
    removeToken: (id) => audited('DELETE /api/tokens', `/api/tokens/${id}`, 200, () => accounts.removeToken(id)),
    audit: (limit) => audit.newest(limit),
    close,
  };
}
