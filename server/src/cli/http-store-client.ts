import { resolve } from 'node:path';
import { isRackcastErrorCode, RackcastError } from '../errors.js';
import type { ExportResult } from '../image/index.js';
import { validateImageName, type GcReport, type ImageSummary, type VerifyReport, type VersionRecord, type VersionSelector } from '../store/index.js';
import type { StoreClient } from './store-client.js';

/** The store through a running server's API. File paths are made absolute for the server. */
export function httpStoreClient(baseUrl: string, headers: Readonly<Record<string, string>> = {}): StoreClient {
  const call = <T>(method: string, path: string, body?: unknown): Promise<T> => request<T>(baseUrl, headers, method, path, body);
  const versionPath = (v: VersionSelector) => (typeof v === 'object' ? `at:${v.at.toISOString()}` : String(v));
  // Validated here too: a name like '..' would be normalised away in the URL before the server saw it.
  const image = (name: string) => `/api/images/${encodeURIComponent(validateImageName(name))}`;
  return {
    via: 'server',
    listImages: async () => (await call<{ images: ImageSummary[] }>('GET', '/api/images')).images,
    listVersions: async (name) => (await call<{ versions: VersionRecord[] }>('GET', `${image(name)}/versions`)).versions,
    importImage: async (file, name, allowUnknownRaw) =>
      (await call<{ version: VersionRecord }>('POST', `${image(name)}/versions`, { file: resolve(file), allowUnknownRaw })).version,
    exportImage: (name, version, out, force) =>
      call<ExportResult>('POST', `${image(name)}/versions/${encodeURIComponent(versionPath(version))}/export`, { out: resolve(out), force }),
    removeImage: async (name) => (await call<{ removed: VersionRecord[] }>('DELETE', image(name))).removed,
    removeVersion: async (name, version) =>
      (await call<{ removed: VersionRecord }>('DELETE', `${image(name)}/versions/${encodeURIComponent(versionPath(version))}`)).removed,
    verify: async () => (await call<{ report: VerifyReport }>('POST', '/api/store/verify')).report,
    gc: async () => (await call<{ report: GcReport }>('POST', '/api/store/gc')).report,
    close: async () => undefined,
  };
}

async function request<T>(baseUrl: string, auth: Readonly<Record<string, string>>, method: string, path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, baseUrl), {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new RackcastError('RC_ERR_SERVER_UNREACHABLE', `the server at ${baseUrl} holds the store but does not answer: ${(err as Error).message}`, {}, { cause: err });
  }
  const json = (await res.json().catch(() => ({}))) as { error?: { code?: unknown; message?: unknown; details?: Record<string, unknown> } };
  // verify answers 409 with its report when it finds damage; that is a result, not a failure.
  if (res.ok || (res.status === 409 && path === '/api/store/verify')) return json as T;
  const code = json.error?.code;
  const message = typeof json.error?.message === 'string' ? json.error.message : `HTTP ${res.status}`;
  throw new RackcastError(isRackcastErrorCode(code) ? code : 'RC_ERR_INTERNAL', message, json.error?.details ?? {});
}
