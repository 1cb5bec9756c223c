import type { Request, Response } from 'express';
import type { DeployRegistry } from '../deploy/index.js';
import type { StreamSession } from '../session/index.js';
import { sessionSummary } from './sessions.js';

/** Events go out at most this often per watcher; a sample every second keeps phases fresh. */
const MIN_INTERVAL_MS = 250;
const REFRESH_MS = 1000;
/** A comment line keeps proxies and idle-timeouts from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;

type Summary = ReturnType<typeof sessionSummary>;

/** A deploy is over when every member slot is done or failed; a plain session when its stream ended. */
function isOver(view: Summary): boolean {
  return view.deploy ? view.deploy.state === 'complete' : view.phase === 'complete' || view.phase === 'cancelled';
}

/**
 * GET /api/sessions/:id/events: server-sent events (read-only, no client messages needed, and
 * any HTTP client can read them). Each `session` event carries the whole session view as
 * GET /api/sessions/:id answers it (members, state, bytes, rate, ETA, repairs, failures); an
 * `end` event follows the last one, when the deploy (or stream) is over, and the response ends.
 */
export function streamSessionEvents(session: StreamSession, deploys: DeployRegistry | undefined, req: Request, res: Response): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  const id = session.record.id;
  let lastSent = 0;
  let pending: NodeJS.Timeout | null = null;
  let open = true;
  const send = (): void => {
    pending = null;
    if (!open) return;
    lastSent = Date.now();
    const view = sessionSummary(session, deploys);
    res.write(`event: session\ndata: ${JSON.stringify(view)}\n\n`);
    if (isOver(view)) {
      res.write('event: end\ndata: {}\n\n');
      close();
      res.end();
    }
  };
  const schedule = (): void => {
    if (pending !== null || !open) return;
    pending = setTimeout(send, Math.max(0, lastSent + MIN_INTERVAL_MS - Date.now()));
  };
  const onDeploy = (sessionId: number): void => { if (sessionId === id) schedule(); };
  const refresh = setInterval(() => { if (Date.now() - lastSent >= REFRESH_MS) schedule(); }, REFRESH_MS);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  const close = (): void => {
    open = false;
    if (pending !== null) clearTimeout(pending);
    clearInterval(refresh);
    clearInterval(keepAlive);
    session.off('update', schedule);
    deploys?.off('update', onDeploy);
  };
  session.setMaxListeners(0);
  session.on('update', schedule);
  deploys?.on('update', onDeploy);
  req.on('close', close);
  send();
}
