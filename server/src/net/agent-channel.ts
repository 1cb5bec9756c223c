import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log.js';

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

const CHANNEL_PATH = /^\/api\/sessions\/(\d{1,10})\/channel$/;
/** A channel silent for this long (no pong, no message) is closed: the receiver is dead. */
const PING_INTERVAL_MS = 1000;
const DEAD_AFTER_MS = 3000;

/**
 * The WebSocket endpoint agents keep open during a session. Transport only: authentication
 * and message meaning belong to the handler. A bad frame costs one log line; the server
 * keeps serving.
 */
export function attachAgentChannel(server: Server, handler: AgentChannelHandler, log: Logger): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const match = CHANNEL_PATH.exec(url.pathname);
    if (!match) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    wss.handleUpgrade(req, socket, head, (ws) => open(ws, Number(match[1]), token));
  };
  const open = (ws: WebSocket, sessionId: number, token: string) => {
    let listener: AgentChannelListener;
    try {
      listener = handler.accept(sessionId, token, { sendJson: (m) => ws.send(JSON.stringify(m)), close: () => ws.close() });
    } catch (err) {
      log.info({ session: sessionId, err: (err as Error).message }, 'agent channel refused');
      ws.close(4401, (err as Error).message.slice(0, 120));
      return;
    }
    let lastHeard = Date.now();
    const ping = setInterval(() => {
      if (Date.now() - lastHeard > DEAD_AFTER_MS) ws.terminate();
      else ws.ping();
    }, PING_INTERVAL_MS);
    ws.on('pong', () => { lastHeard = Date.now(); });
    ws.on('message', (data, isBinary) => {
      lastHeard = Date.now();
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      try {
        if (isBinary) listener.onBinary(bytes);
        else listener.onText(bytes.toString('utf8'));
      } catch (err) {
        log.debug({ session: sessionId, err: (err as Error).message }, 'bad agent message dropped');
      }
    });
    ws.on('close', () => {
      clearInterval(ping);
      listener.onClose();
    });
    ws.on('error', (err) => log.debug({ session: sessionId, err: err.message }, 'agent channel error'));
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const client of wss.clients) client.terminate();
    wss.close();
  };
}
