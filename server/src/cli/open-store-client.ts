import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RackcastConfig } from '../config/index.js';
import { hasCode } from '../errors.js';
import type { Logger } from '../log.js';
import { openStore, SERVER_STATE_FILE, type ServerState } from '../main.js';
import { httpStoreClient } from './http-store-client.js';
import { localStoreClient } from './local-store-client.js';
import type { StoreClient } from './store-client.js';

/**
 * Opens the store in this process; if a running server holds it (LevelDB allows one owner),
 * works through that server's API instead, found through the state file it keeps in the store.
 */
export async function openStoreClient(config: Readonly<RackcastConfig>, log: Logger): Promise<StoreClient> {
  try {
    return localStoreClient(await openStore(config, log));
  } catch (err) {
    if (!hasCode(err, 'RC_ERR_STORE_LOCKED')) throw err;
    const state = await readServerState(config.store.dir);
    if (!state || !isAlive(state.pid)) throw err;
    return httpStoreClient(state.url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:'));
  }
}

async function readServerState(dir: string): Promise<ServerState | null> {
  try {
    return JSON.parse(await readFile(join(dir, SERVER_STATE_FILE), 'utf8')) as ServerState;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
