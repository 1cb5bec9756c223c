import { EventEmitter } from 'node:events';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeManifest, type Manifest, type ServerMessage } from '@rackcast/wire';
import WebSocket from 'ws';
import { ReceiveError, type ReceiveErrorCode } from './receive-error.js';

/** What the server tells a registered receiver (the session key only travels here). */
export interface Registration {
  readonly receiverId: string;
  readonly key: Buffer;
  readonly group: string;
  readonly port: number;
  readonly datagramSize: number;
  /** How often to report progress (the server slows a large group down); 250 ms if it does not say. */
  readonly progressIntervalMs: number;
  readonly blockCount: number;
  readonly bytesTotal: number;
  readonly phase: string;
  readonly straggler: boolean;
  /** Bitmap of blocks the server's journal says this receiver completed. */
  readonly completed: Uint8Array;
}

const MAX_ATTEMPTS = 30;
/** A backfill request with no byte for this long is abandoned and retried. */
const BLOCK_TIMEOUT_MS = 30_000;

/**
 * The receiver's link to the server: registration, manifest and backfill over HTTP, and the
 * WebSocket channel that reconnects by itself (0.2 s doubling to 5 s, with jitter) so a
 * restarted server or a dropped link never needs a person. Messages that must arrive (done,
 * fail, NAK reports) wait for the channel; progress is only ever the latest.
 */
export class ServerLink extends EventEmitter<{ message: [ServerMessage]; open: [] }> {
  readonly #base: string;
  readonly #session: number;
  readonly #token: string;
  #ws: WebSocket | null = null;
  #closed = false;
  readonly #outbox: (string | Uint8Array)[] = [];
  /** Kept-alive connections for backfill (four requests run at once). */
  readonly #httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  readonly #httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 8 });

  constructor(server: string, session: number, token: string) {
    super();
    this.#base = server.replace(/\/$/, '');
    this.#session = session;
    this.#token = token;
  }

  #headers(): Record<string, string> {
    return { authorization: `Bearer ${this.#token}` };
  }

  /** An HTTP request, retried on network errors and 5xx answers with backoff. */
  #fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return this.#retrying('RC_ERR_RECEIVE_REGISTER', async () => {
      const res = await fetch(`${this.#base}/api/sessions/${this.#session}${path}`, { ...init, headers: { ...this.#headers(), ...(init.headers ?? {}) } });
      return { status: res.status, value: res };
    });
  }

  /**
   * Runs `attempt` until it answers below 500 or MAX_ATTEMPTS are spent, backing off 0.2 s
   * doubling to 5 s with jitter; returns the last answer. Network errors are retried too, and
   * after the last attempt become ReceiveError `code` (transient).
   */
  async #retrying<T>(code: ReceiveErrorCode, attempt: () => Promise<{ status: number; value: T }>): Promise<T> {
    let delay = 200;
    for (let n = 1; ; n++) {
      try {
        const answer = await attempt();
        if (answer.status < 500 || n >= MAX_ATTEMPTS) return answer.value;
      } catch (err) {
        if (n >= MAX_ATTEMPTS) throw new ReceiveError(code, `cannot reach ${this.#base}: ${(err as Error).message}`, true);
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(5000, delay * 2);
    }
  }

  async register(): Promise<Registration> {
    const res = await this.#fetch('/receivers', { method: 'POST' });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown> & { error?: { code?: string; message?: string } };
    if (!res.ok) throw new ReceiveError('RC_ERR_RECEIVE_REGISTER', `registration refused: ${body.error?.code ?? res.status} ${body.error?.message ?? ''}`.trim());
    return {
      receiverId: String(body['receiverId']), key: Buffer.from(String(body['key']), 'base64'), group: String(body['group']), port: Number(body['port']),
      datagramSize: Number(body['datagramSize']), blockCount: Number(body['blockCount']), bytesTotal: Number(body['bytesTotal']),
      phase: String(body['phase']), straggler: body['straggler'] === true, completed: Buffer.from(String(body['completed']), 'base64'),
      progressIntervalMs: progressInterval(body['progressIntervalMs']),
    };
  }

  async manifest(): Promise<Manifest> {
    const res = await this.#fetch('/manifest');
    if (!res.ok) throw new ReceiveError('RC_ERR_RECEIVE_MANIFEST', `manifest not served: HTTP ${res.status}`);
    try {
      return decodeManifest(new Uint8Array(await res.arrayBuffer()));
    } catch (err) {
      throw new ReceiveError('RC_ERR_RECEIVE_MANIFEST', `manifest is damaged: ${(err as Error).message}`);
    }
  }

  /**
   * A sealed block over HTTP (backfill), retried like every request. Read with node:http, not
   * fetch: fetch passes every chunk of the body through web streams, and a straggler
   * backfilling a 1 GiB image over a 100 Mbit/s link used 9.5 CPU-s that way (against 1.5 for
   * the same image by multicast), slowing the healthy receivers that share its host's CPU.
   */
  async block(index: number): Promise<Buffer> {
    const { status, body } = await this.#retrying('RC_ERR_RECEIVE_BLOCK', async () => {
      const answer = await this.#getBytes(`/blocks/${index}`);
      return { status: answer.status, value: answer };
    });
    if (status !== 200) throw new ReceiveError('RC_ERR_RECEIVE_BLOCK', `block ${index} not served: HTTP ${status}`, status >= 500);
    return body;
  }

  /** One GET of a session path: the status and the whole body. */
  #getBytes(path: string): Promise<{ status: number; body: Buffer }> {
    const url = new URL(`${this.#base}/api/sessions/${this.#session}${path}`);
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const onResponse = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        let length = 0;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          length += chunk.byteLength;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks, length) }));
        res.on('error', reject);
      };
      const options = { headers: this.#headers(), agent: secure ? this.#httpsAgent : this.#httpAgent };
      const req = secure ? httpsRequest(url, options, onResponse) : httpRequest(url, options, onResponse);
      req.setTimeout(BLOCK_TIMEOUT_MS, () => req.destroy(new Error(`no answer for ${BLOCK_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Opens the channel and keeps it open until close(). */
  connect(): void {
    void this.#connectLoop();
  }

  async #connectLoop(): Promise<void> {
    let delay = 200;
    while (!this.#closed) {
      const opened = await this.#connectOnce();
      if (this.#closed) return;
      delay = opened ? 200 : Math.min(5000, delay * 2);
      await sleep(delay / 2 + Math.random() * delay);
    }
  }

  /** One connection's life; resolves true if it had opened. */
  #connectOnce(): Promise<boolean> {
    return new Promise((resolve) => {
      const url = `${this.#base.replace(/^http/, 'ws')}/api/sessions/${this.#session}/channel`;
      const ws = new WebSocket(url, { headers: this.#headers(), handshakeTimeout: 5000 });
      let opened = false;
      ws.on('open', () => {
        opened = true;
        this.#ws = ws;
        this.emit('open');
        this.#flush();
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        try {
          this.emit('message', JSON.parse(String(data)) as ServerMessage);
        } catch {
          // A malformed server message is ignored; the channel stays up.
        }
      });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        if (this.#ws === ws) this.#ws = null;
        resolve(opened);
      });
    });
  }

  /** Sends now if the channel is open, else when it opens (reliable messages). */
  send(message: string | Uint8Array): void {
    this.#outbox.push(message);
    this.#flush();
  }

  /** Sends only if the channel is open (progress: a newer one follows soon). */
  sendIfOpen(message: string | Uint8Array): boolean {
    if (this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(message);
    return true;
  }

  #flush(): void {
    const ws = this.#ws;
    while (ws?.readyState === WebSocket.OPEN && this.#outbox.length > 0) ws.send(this.#outbox.shift() as string | Uint8Array);
  }

  /** Waits (bounded) until queued messages have been handed to an open channel. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#outbox.length > 0 && Date.now() < deadline) await sleep(50);
    const ws = this.#ws;
    while (ws && ws.bufferedAmount > 0 && Date.now() < deadline) await sleep(20);
  }

  close(): void {
    this.#closed = true;
    this.#ws?.close();
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}

/** The server's progress interval if it is a sane one (0.1–5 s), else the protocol's 250 ms. */
function progressInterval(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 5000 ? value : 250;
}
