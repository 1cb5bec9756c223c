import { eventsUrl } from './auth.js';
import type { LiveEvent, LiveStore } from './live-store.js';

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export interface LiveOptions {
  /**
   * Called when a connection closes before it opened. A browser does not show a WebSocket's
   * HTTP answer, so the caller asks the API whether the page is still signed in (a 401 there
   * opens the sign-in page) and answers false when it is not: the socket then waits for
   * reconnectLive() instead of knocking every few seconds (each knock is an audit entry).
   */
  readonly onRefused?: () => Promise<boolean>;
}

let retryNow: (() => void) | null = null;
let pause: (() => void) | null = null;

/** (Re)connects at once: on start once signed in, and after signing in or out (the credential changed). */
export function reconnectLive(): void {
  retryNow?.();
}

/** Closes the socket until the next reconnectLive(): after signing out. */
export function disconnectLive(): void {
  pause?.();
}

/**
 * The page's one WebSocket (/api/events), opened by the first reconnectLive() (once the page
 * knows it is signed in). Each (re)connection starts with full lists, so a dropped socket
 * loses nothing: it reconnects with a doubling delay, up to 10 s, while signed in.
 */
export function connectLive(store: LiveStore, options: LiveOptions = {}): () => void {
  let socket: WebSocket | null = null;
  let retryMs = FIRST_RETRY_MS;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const open = (): void => {
    store.setConnection('connecting');
    const ws = new WebSocket(eventsUrl());
    let opened = false;
    socket = ws;
    ws.onopen = () => {
      opened = true;
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
      if (stopped || socket !== ws) return;
      store.setConnection('offline');
      const retry = (): void => {
        if (stopped || socket !== ws) return;
        timer = setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      };
      if (opened || !options.onRefused) retry();
      else void options.onRefused().then((signedIn) => { if (signedIn) retry(); });
    };
  };
  pause = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const old = socket;
    socket = null;
    old?.close();
    store.setConnection('offline');
  };
  retryNow = () => {
    if (stopped) return;
    pause?.();
    retryMs = FIRST_RETRY_MS;
    open();
  };
  return () => {
    stopped = true;
    retryNow = null;
    pause = null;
    if (timer !== null) clearTimeout(timer);
    socket?.close();
  };
}
