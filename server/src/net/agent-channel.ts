import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log.js';
import { UI_EVENTS_PATH } from './ui-events.js';

/** What the channel needs from whoever owns sessions (declared here, implemented by api/). */
export interface AgentChannelHandler {
  /**
   * Authenticates an upgrade for `/api/sessions/:id/channel`; returns the connection's
   * handlers, or throws to refuse it (the client gets 401 and the socket closes).
   */
  accept(sessionId: number, token: string, channel: AgentChannelConnection): AgentChannelListener;
}

/** One receiver's open channel, as the session sees it. */
export interface AgentChannelConnection {
  sendJson(message: unknown): void;
  close(): void;
}

export interface AgentChannelListener {
  onText(text: string): void;
  onBinary(bytes: Uint8Array): void;
  onClose(): void;
}

/** What the channel needs from whoever owns machines (declared here, implemented beside main.ts). */
export interface MachineChannelHandler {
  /**
   * Authenticates an upgrade for `/api/agent/channel` (a registered agent's control channel) by
   * the agent's credential; returns the connection's handlers, or throws to refuse it.
   */
  accept(credential: string, channel: AgentChannelConnection): AgentChannelListener;
}

const CHANNEL_PATH = /^\/api\/sessions\/(\d{1,10})\/channel$/;
/** Path of a registered agent's control channel (jobs down, heartbeats and acknowledgements up). */
export const MACHINE_CHANNEL_PATH = '/api/agent/channel';

/** How often a channel is pinged, and after how long without a pong or message it is closed as dead. */
interface Liveness {
  readonly pingMs: number;
  readonly deadMs: number;
}

/** A receiver mid-stream is dropped fast so the group does not wait for it. */
const SESSION_LIVENESS: Liveness = { pingMs: 1000, deadMs: 3000 };
/** An idle agent in a software-emulated VM can be slow to answer; it reconnects by itself anyway. */
const MACHINE_LIVENESS: Liveness = { pingMs: 5000, deadMs: 20_000 };

/**
 * The WebSocket endpoints agents keep open: a receiver's channel during a session, and a
 * registered agent's control channel (when `machines` is given). Transport only: authentication
 * and message meaning belong to the handlers. A bad frame costs one log line; the server keeps
 * serving.
 */
export function attachAgentChannel(server: Server, handler: AgentChannelHandler, log: Logger, machines?: MachineChannelHandler): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const match = CHANNEL_PATH.exec(url.pathname);
    if (match) {
      const sessionId = Number(match[1]);
      wss.handleUpgrade(req, socket, head, (ws) => open(ws, (c) => handler.accept(sessionId, token, c), SESSION_LIVENESS, { session: sessionId }, log));
    } else if (machines && url.pathname === MACHINE_CHANNEL_PATH) {
      wss.handleUpgrade(req, socket, head, (ws) => open(ws, (c) => machines.accept(token, c), MACHINE_LIVENESS, { channel: 'machine' }, log));
    } else if (url.pathname !== UI_EVENTS_PATH) {
      // The dashboard's socket has its own listener (ui-events.ts); every other path is unknown.
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    }
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const client of wss.clients) client.terminate();
    wss.close();
  };
}

/** Runs one accepted WebSocket: authentication by `accept`, liveness pings, messages to the listener. */
function open(ws: WebSocket, accept: (c: AgentChannelConnection) => AgentChannelListener, liveness: Liveness, fields: Record<string, unknown>, log: Logger): void {
  let listener: AgentChannelListener;
  try {
    listener = accept({ sendJson: (m) => ws.send(JSON.stringify(m)), close: () => ws.close() });
  } catch (err) {
    log.info({ ...fields, err: (err as Error).message }, 'agent channel refused');
    ws.close(4401, (err as Error).message.slice(0, 120));
    return;
  }
  let lastHeard = Date.now();
  const ping = setInterval(() => {
    if (Date.now() - lastHeard > liveness.deadMs) ws.terminate();
    else ws.ping();
  }, liveness.pingMs);
  ws.on('pong', () => { lastHeard = Date.now(); });
  ws.on('message', (data, isBinary) => {
    lastHeard = Date.now();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    try {
      if (isBinary) listener.onBinary(bytes);
      else listener.onText(bytes.toString('utf8'));
    } catch (err) {
      log.debug({ ...fields, err: (err as Error).message }, 'bad agent message dropped');
    }
  });
  ws.on('close', () => {
    clearInterval(ping);
    listener.onClose();
  });
  ws.on('error', (err) => log.debug({ ...fields, err: err.message }, 'agent channel error'));
}
