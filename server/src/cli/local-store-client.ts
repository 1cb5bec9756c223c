import { exportImage, importImage } from '../image/index.js';
import { collectGarbage, verifyStore, type ImageStore } from '../store/index.js';
import type { StoreClient } from './store-client.js';

/** The store opened in this process. */
export function localStoreClient(store: ImageStore): StoreClient {
  return {
    via: 'store',
    listImages: () => store.listImages(),
    listVersions: (name) => store.listVersions(name),
    importImage: (file, name, allowUnknownRaw, onProgress) => importImage(store, { file, name, allowUnknownRaw, ...(onProgress ? { onProgress } : {}) }),
    exportImage: (name, version, out, force, onProgress) => exportImage(store, { name, version, out, force, ...(onProgress ? { onProgress } : {}) }),
    removeImage: (name) => store.removeImage(name),
    removeVersion: async (name, version) => store.removeVersion(name, (await store.resolveVersion(name, version)).version),
    verify: () => verifyStore(store),
    gc: () => collectGarbage(store),
    close: () => store.close(),
  };
}
