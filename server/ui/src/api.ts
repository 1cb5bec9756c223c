import { authHeaders, sendToLogin } from './auth.js';

/** An API refusal: the server's stable code and its message for the technician. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

interface ErrorBody {
  readonly error?: { readonly code?: string; readonly message?: string };
}

/** Calls the server's JSON API; throws ApiError with the server's code on a refusal. */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(), accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError('RC_ERR_BAD_ANSWER', `the server answered ${res.status} with something that is not JSON`, res.status);
  }
  if (!res.ok) {
    // Not signed in (or the login ended): the sign-in page, which remembers where the page was.
    if (res.status === 401) sendToLogin();
    const error = (json as ErrorBody | null)?.error;
    throw new ApiError(error?.code ?? `HTTP_${res.status}`, error?.message ?? res.statusText, res.status);
  }
  return json as T;
}

/** A message for any error thrown by a call: the code and message of an ApiError. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
