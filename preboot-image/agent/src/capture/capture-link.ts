import { setTimeout as sleep } from 'node:timers/promises';
import { CaptureError } from './capture-error.js';

/** The server's view of this capture, as GET /api/captures/agent answers. */
export interface CaptureInfo {
  readonly capture: { readonly id: number; readonly image: string; readonly state: string };
  readonly blockSize: number;
  readonly base: { readonly version: number; readonly digest: string; readonly blocks: number } | null;
}

/** The server's answer to an offer. */
export interface OfferAnswer {
  readonly offer: { readonly kind: 'full' | 'delta'; readonly baseVersion: number | null; readonly blocks: number; readonly offered: number; readonly missing: number };
  /** Base64 bitmap over the offered blocks: bit i set = upload offered block i. */
  readonly missingBitmap: string;
}

/** Bytes of request and response bodies this link moved (HTTP headers not counted). */
export interface LinkCounters {
  sent: number;
  received: number;
  requests: number;
}

/** Attempts per request on network errors and 5xx answers: about 2.5 minutes with the backoff below. */
const MAX_ATTEMPTS = 40;

/**
 * The agent's side of the capture protocol (docs/capture-protocol.md) over HTTP, authenticated
 * by the capture token. Network errors and 5xx answers are retried with backoff (0.2 s doubling
 * to 5 s, with jitter), so a restarted server or a dropped link costs only time; a refusal
 * (4xx) is thrown at once as RC_ERR_CAPTURE_REFUSED carrying the server's code.
 */
export class CaptureLink {
  readonly #base: string;
  readonly #token: string;
  readonly counters: LinkCounters = { sent: 0, received: 0, requests: 0 };

  constructor(server: string, token: string) {
    this.#base = `${server.replace(/\/$/, '')}/api/captures/agent`;
    this.#token = token;
  }

  async #request(path: string, init: { method: string; body?: Uint8Array | string; type?: string }): Promise<Buffer> {
    let delay = 200;
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, ...(init.type ? { 'content-type': init.type } : {}) };
    for (let attempt = 1; ; attempt++) {
      let res: Response | null = null;
      try {
        res = await fetch(`${this.#base}${path}`, { method: init.method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS) throw new CaptureError('RC_ERR_CAPTURE_UNREACHABLE', `cannot reach ${this.#base}: ${(err as Error).message}`, null, { cause: err });
      }
      if (res !== null) {
        const body = Buffer.from(await res.arrayBuffer());
        this.counters.requests++;
        this.counters.sent += typeof init.body === 'string' ? Buffer.byteLength(init.body) : init.body?.byteLength ?? 0;
        this.counters.received += body.byteLength;
        if (res.ok) return body;
        if (res.status < 500 || attempt >= MAX_ATTEMPTS) throw refusal(res.status, body);
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(5000, delay * 2);
    }
  }

  async #json<T>(path: string, init: { method: string; body?: Uint8Array | string; type?: string }): Promise<T> {
    return JSON.parse((await this.#request(path, init)).toString('utf8')) as T;
  }

  info(): Promise<CaptureInfo> {
    return this.#json('', { method: 'GET' });
  }

  /** The newest version's fingerprints (RCBF bytes). */
  async fingerprints(): Promise<Uint8Array> {
    return new Uint8Array(await this.#request('/fingerprints', { method: 'GET' }));
  }

  offer(bytes: Uint8Array): Promise<OfferAnswer> {
    return this.#json('/offer', { method: 'POST', body: bytes, type: 'application/octet-stream' });
  }

  /** Uploads one block frame under its content address. */
  upload(hex: string, frame: Uint8Array): Promise<{ stored: boolean; missing: number }> {
    return this.#json(`/blocks/${hex}`, { method: 'PUT', body: frame, type: 'application/octet-stream' });
  }

  commit(config: unknown, profile: unknown): Promise<{ version: { version: number; newBlocks: number; newBytes: number } }> {
    return this.#json('/commit', { method: 'POST', body: JSON.stringify({ config, profile }), type: 'application/json' });
  }
}

function refusal(status: number, body: Buffer): CaptureError {
  let code = `HTTP ${status}`;
  let message = body.toString('utf8').slice(0, 300);
  try {
    const json = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
    if (typeof json.error?.code === 'string') code = json.error.code;
    if (typeof json.error?.message === 'string') message = json.error.message;
  } catch {
    // Not JSON (a proxy's page): the status and the start of the body say enough.
  }
  return new CaptureError('RC_ERR_CAPTURE_REFUSED', `the server refused: ${code}: ${message}`, code.startsWith('RC_ERR_') ? code : null);
}
