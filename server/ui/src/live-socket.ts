import { eventsUrl } from './auth.js';
import type { LiveEvent, LiveStore } from './live-store.js';

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/**
 * The page's one WebSocket (/api/events). Each (re)connection starts with full lists, so a
 * dropped socket loses nothing: it reconnects with a doubling delay, up to 10 s, forever.
 */
export function connectLive(store: LiveStore): () => void {
  let socket: WebSocket | null = null;
  let retryMs = FIRST_RETRY_MS;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const open = (): void => {
    store.setConnection('connecting');
    const ws = new WebSocket(eventsUrl());
    socket = ws;
    ws.onopen = () => {
      retryMs = FIRST_RETRY_MS;
      store.setConnection('live');
    };
    ws.onmessage = (message: MessageEvent<unknown>) => {
      if (typeof message.data !== 'string') return;
      try {
        store.apply(JSON.parse(message.data) as LiveEvent);
      } catch (err) {
        console.warn('rackcast: event dropped', err);
      }
    };
    ws.onclose = () => {
      if (stopped) return;
      store.setConnection('offline');
      timer = setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    };
  };
  open();
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    socket?.close();
  };
}
