import type { RackcastConfig } from '../config/index.js';
import { hasCode } from '../errors.js';
import type { Logger } from '../log.js';
import { openStore } from '../main.js';
import { httpStoreClient } from './http-store-client.js';
import { localStoreClient } from './local-store-client.js';
import { findServer } from './server-api.js';
import type { StoreClient } from './store-client.js';

/**
 * With client.url (or RACKCAST_URL) set, works through that server's API. Otherwise opens the
 * store in this process; if a running server holds it (LevelDB allows one owner), works through
 * that server's API instead, found through the state file it keeps in the store.
 */
export async function openStoreClient(config: Readonly<RackcastConfig>, log: Logger): Promise<StoreClient> {
  if (!config.client?.url) {
    try {
      return localStoreClient(await openStore(config, log));
    } catch (err) {
      if (!hasCode(err, 'RC_ERR_STORE_LOCKED')) throw err;
      const target = await findServer(config);
      if (!target) throw err;
      return httpStoreClient(target.url, bearer(target.token));
    }
  }
  const target = await findServer(config);
  return httpStoreClient(target?.url ?? config.client.url, bearer(target?.token ?? null));
}

function bearer(token: string | null): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
