import { useEffect, useState } from 'preact/hooks';
import { totalRate } from './session-progress.js';
import type { ImageView, MachineRow, SessionView } from './types.js';

/** One point of a session's throughput plot: server time (ms) and total MB/s being written. */
export interface ThroughputSample {
  readonly t: number;
  readonly bytesPerSecond: number;
}

export type Connection = 'connecting' | 'live' | 'offline';

/** Everything the events socket keeps current. Replaced, never mutated, on each change. */
export interface LiveState {
  readonly connection: Connection;
  /** False until the first snapshot arrived (pages show "loading" rather than "none"). */
  readonly ready: boolean;
  readonly machines: ReadonlyMap<string, MachineRow>;
  readonly sessions: ReadonlyMap<number, SessionView>;
  readonly images: readonly ImageView[];
  readonly throughput: ReadonlyMap<number, readonly ThroughputSample[]>;
}

/** An event as the server sends it (server/src/dashboard). */
export type LiveEvent =
  | { readonly type: 'machines'; readonly full: boolean; readonly at: number; readonly machines: readonly MachineRow[] }
  | { readonly type: 'sessions'; readonly full: boolean; readonly at: number; readonly sessions: readonly SessionView[] }
  | { readonly type: 'images'; readonly at: number; readonly images: readonly ImageView[] };

/** Samples kept per session: 10 minutes at 4 a second would be 2400; a plot needs far fewer. */
const MAX_SAMPLES = 600;

function merge<K, V>(current: ReadonlyMap<K, V>, items: readonly V[], key: (v: V) => K, full: boolean): Map<K, V> {
  const next = full ? new Map<K, V>() : new Map(current);
  for (const item of items) next.set(key(item), item);
  return next;
}

function sampled(current: ReadonlyMap<number, readonly ThroughputSample[]>, sessions: readonly SessionView[], at: number): Map<number, readonly ThroughputSample[]> {
  const next = new Map(current);
  for (const s of sessions) {
    const samples = next.get(s.id) ?? [];
    const last = samples.at(-1);
    if (last !== undefined && at - last.t < 200) continue;
    next.set(s.id, [...samples.slice(-(MAX_SAMPLES - 1)), { t: at, bytesPerSecond: totalRate(s) }]);
  }
  return next;
}

/** The page's live state: applies events and tells subscribed components. */
export class LiveStore {
  #state: LiveState = { connection: 'connecting', ready: false, machines: new Map(), sessions: new Map(), images: [], throughput: new Map() };
  readonly #listeners = new Set<(s: LiveState) => void>();

  get state(): LiveState {
    return this.#state;
  }

  subscribe(listener: (s: LiveState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setConnection(connection: Connection): void {
    this.#set({ ...this.#state, connection });
  }

  apply(event: LiveEvent): void {
    const s = this.#state;
    if (event.type === 'machines') {
      this.#set({ ...s, ready: s.ready || event.full, machines: merge(s.machines, event.machines, (m) => m.mac, event.full) });
    } else if (event.type === 'sessions') {
      this.#set({ ...s, sessions: merge(s.sessions, event.sessions, (x) => x.id, event.full), throughput: sampled(s.throughput, event.sessions, event.at) });
    } else if (event.type === 'images') {
      this.#set({ ...s, images: event.images });
    }
  }

  #set(state: LiveState): void {
    this.#state = state;
    for (const listener of this.#listeners) listener(state);
  }
}

export const liveStore = new LiveStore();

/** The live state in a component; it renders again on every change. */
export function useLive(): LiveState {
  const [state, setState] = useState(liveStore.state);
  useEffect(() => {
    setState(liveStore.state);
    return liveStore.subscribe(setState);
  }, []);
  return state;
}
