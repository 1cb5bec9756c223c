import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log.js';

/** Path of the dashboard's live socket (read-only: the server talks, the page listens). */
export const UI_EVENTS_PATH = '/api/events';

/** One JSON event for the dashboard, e.g. {type: "machines", full: false, machines: [...]}. */
export interface UiEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** What the socket needs from whoever owns machines, sessions and images (declared here, implemented beside main.ts). */
export interface UiEventSource {
  /** Events that bring a new watcher up to date (full lists). */
  snapshot(): Promise<readonly UiEvent[]>;
  /** Calls `send` with every later change until the returned function is called. */
  subscribe(send: (event: UiEvent) => void): () => void;
}

export interface UiEventsOptions {
  /**
   * Decides whether an upgrade may watch, from its headers (the login cookie, or a bearer
   * token) or `?access_token=` (browsers cannot set headers on a WebSocket). Refused upgrades
   * get 401 before any WebSocket exists.
   */
  readonly authorise: (req: IncomingMessage, accessToken: string | null) => boolean;
  /** Watchers at most; more are refused with 1013 (try again later). Default 64. */
  readonly maxClients?: number;
  /** Bytes queued for one slow watcher before it is cut off (it reconnects and gets a fresh snapshot). Default 8 MiB. */
  readonly maxBufferedBytes?: number;
}

const PING_MS = 15_000;
const DEAD_MS = 45_000;

/**
 * The dashboard's WebSocket at /api/events: a snapshot on open, then every change the source
 * reports, as JSON text. Transport only: what the events hold is the source's business. A
 * watcher that cannot keep up is closed rather than buffered without end, and messages from
 * the page are ignored (one debug line).
 */
export function attachUiEvents(server: Server, source: UiEventSource, log: Logger, options: UiEventsOptions): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const maxClients = options.maxClients ?? 64;
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== UI_EVENTS_PATH) return;
    if (!options.authorise(req, url.searchParams.get('access_token'))) {
      const body = JSON.stringify({ error: { code: 'RC_ERR_UNAUTHENTICATED', message: 'log in or send an API token: Authorization: Bearer <token>' } });
      socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (wss.clients.size > maxClients) {
        ws.close(1013, 'too many dashboard watchers');
        return;
      }
      watch(ws, source, log, options.maxBufferedBytes ?? 8 * 2 ** 20);
    });
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const client of wss.clients) client.terminate();
    wss.close();
  };
}

/** Runs one watcher: changes queue while the snapshot is read, then everything goes out in order. */
function watch(ws: WebSocket, source: UiEventSource, log: Logger, maxBufferedBytes: number): void {
  let queued: UiEvent[] | null = [];
  const send = (event: UiEvent): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > maxBufferedBytes) {
      log.info({ buffered: ws.bufferedAmount }, 'dashboard watcher too slow; closed');
      ws.close(1013, 'too slow: reconnect for a fresh snapshot');
      return;
    }
    ws.send(JSON.stringify(event));
  };
  const unsubscribe = source.subscribe((event) => {
    if (queued) queued.push(event);
    else send(event);
  });
  source.snapshot().then((events) => {
    for (const event of [...events, ...(queued ?? [])]) send(event);
    queued = null;
  }, (err: unknown) => {
    log.error({ err }, 'dashboard snapshot failed');
    ws.close(1011, 'snapshot failed; see the server log');
  });
  let lastHeard = Date.now();
  const ping = setInterval(() => {
    if (Date.now() - lastHeard > DEAD_MS) ws.terminate();
    else ws.ping();
  }, PING_MS);
  ws.on('pong', () => { lastHeard = Date.now(); });
  ws.on('message', () => {
    lastHeard = Date.now();
    log.debug('dashboard message ignored: the events socket is read-only');
  });
  ws.on('close', () => {
    clearInterval(ping);
    unsubscribe();
  });
  ws.on('error', (err) => log.debug({ err: err.message }, 'dashboard socket error'));
}
