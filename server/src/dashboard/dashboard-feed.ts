import { sessionSummary } from '../api/index.js';
import type { DeployRegistry } from '../deploy/index.js';
import type { MachineRegistry } from '../machine/index.js';
import type { UiEvent, UiEventSource } from '../net/ui-events.js';
import type { SessionRegistry, StreamSession } from '../session/index.js';
import type { ImageSummary } from '../store/index.js';
import { machineRow } from './machine-row.js';

/** What the dashboard watches. */
export interface DashboardSources {
  readonly machines: MachineRegistry;
  readonly sessions: SessionRegistry;
  readonly deploys: DeployRegistry;
  readonly store: { listImages(): Promise<ImageSummary[]> };
}

export interface DashboardFeedOptions {
  /** Changes are gathered for this long and sent as one event per kind (at most 4 a second by default). */
  readonly flushMs?: number;
  /**
   * How often, while someone watches, the feed looks for new sessions (the session registry has
   * no "created" event), re-sends running ones (rates and ETAs age), and compares the image list.
   */
  readonly sweepMs?: number;
}

type SessionView = ReturnType<typeof sessionSummary>;

/**
 * A session as the dashboard gets it: the API's view without each member's plan and reasons
 * (they are shown before a deploy starts, and a session of 100 members would otherwise send
 * them 4 times a second).
 */
export function sessionEventView(view: SessionView): SessionView {
  if (view.deploy === null) return view;
  return { ...view, deploy: { ...view.deploy, members: view.deploy.members.map((m) => ({ ...m, plan: null, reasons: [] })) } };
}

function isRunning(view: SessionView): boolean {
  return view.deploy ? view.deploy.state === 'running' : view.phase === 'waiting' || view.phase === 'transfer';
}

/**
 * The dashboard's event source: full lists for a new watcher, then batches of changed machines
 * and sessions, and the image list when it changes. Events carry `at` (server ms) so the page
 * can turn counters into rates.
 */
export class DashboardFeed implements UiEventSource {
  readonly #sources: DashboardSources;
  readonly #flushMs: number;
  readonly #sweepMs: number;
  readonly #subscribers = new Set<(event: UiEvent) => void>();
  readonly #dirtyMachines = new Set<string>();
  readonly #dirtySessions = new Set<number>();
  readonly #watchedSessions = new Map<number, () => void>();
  readonly #unwatchMachines: () => void;
  readonly #onDeploy = (sessionId: number): void => this.#markSession(sessionId);
  #flushTimer: NodeJS.Timeout | null = null;
  #sweepTimer: NodeJS.Timeout | null = null;
  #imagesSent = '';
  #sweeping = false;

  constructor(sources: DashboardSources, options: DashboardFeedOptions = {}) {
    this.#sources = sources;
    this.#flushMs = options.flushMs ?? 250;
    this.#sweepMs = options.sweepMs ?? 1000;
    this.#unwatchMachines = sources.machines.watch((mac) => this.#markMachine(mac));
    sources.deploys.on('update', this.#onDeploy);
  }

  async snapshot(): Promise<readonly UiEvent[]> {
    this.#watchNewSessions();
    const images = await this.#sources.store.listImages();
    const at = Date.now();
    return [
      { type: 'machines', full: true, at, machines: this.#sources.machines.list().map(machineRow) },
      { type: 'sessions', full: true, at, sessions: this.#sources.sessions.list().map((s) => this.#view(s)) },
      { type: 'images', at, images },
    ];
  }

  subscribe(send: (event: UiEvent) => void): () => void {
    this.#subscribers.add(send);
    if (this.#sweepTimer === null) this.#sweepTimer = setInterval(() => void this.#sweep(), this.#sweepMs);
    return () => {
      this.#subscribers.delete(send);
      if (this.#subscribers.size === 0 && this.#sweepTimer !== null) {
        clearInterval(this.#sweepTimer);
        this.#sweepTimer = null;
      }
    };
  }

  /** Stops listening to the registries (server shutdown). */
  close(): void {
    this.#unwatchMachines();
    this.#sources.deploys.off('update', this.#onDeploy);
    for (const off of this.#watchedSessions.values()) off();
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    if (this.#sweepTimer !== null) clearInterval(this.#sweepTimer);
    this.#subscribers.clear();
  }

  #view(session: StreamSession): SessionView {
    return sessionEventView(sessionSummary(session, this.#sources.deploys));
  }

  #markMachine(mac: string): void {
    this.#dirtyMachines.add(mac);
    this.#schedule();
  }

  #markSession(id: number): void {
    this.#dirtySessions.add(id);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#flushTimer !== null || this.#subscribers.size === 0) return;
    this.#flushTimer = setTimeout(() => this.#flush(), this.#flushMs);
  }

  #flush(): void {
    this.#flushTimer = null;
    const at = Date.now();
    const macs = [...this.#dirtyMachines];
    const ids = [...this.#dirtySessions];
    this.#dirtyMachines.clear();
    this.#dirtySessions.clear();
    const { machines, sessions } = this.#sources;
    if (macs.length > 0) {
      const rows = macs.filter((mac) => machines.isKnownMachine(mac)).map((mac) => machineRow(machines.get(mac)));
      this.#emit({ type: 'machines', full: false, at, machines: rows });
    }
    if (ids.length > 0) {
      const known = new Set(sessions.list().map((s) => s.record.id));
      this.#emit({ type: 'sessions', full: false, at, sessions: ids.filter((id) => known.has(id)).map((id) => this.#view(sessions.get(id))) });
    }
  }

  #emit(event: UiEvent): void {
    for (const send of this.#subscribers) send(event);
  }

  #watchNewSessions(): void {
    for (const session of this.#sources.sessions.list()) {
      const id = session.record.id;
      if (this.#watchedSessions.has(id)) continue;
      const onUpdate = (): void => this.#markSession(id);
      session.setMaxListeners(0);
      session.on('update', onUpdate);
      this.#watchedSessions.set(id, () => session.off('update', onUpdate));
      this.#markSession(id);
    }
  }

  async #sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      this.#watchNewSessions();
      for (const session of this.#sources.sessions.list()) {
        if (isRunning(sessionSummary(session, this.#sources.deploys))) this.#markSession(session.record.id);
      }
      const images = await this.#sources.store.listImages();
      const text = JSON.stringify(images);
      if (text !== this.#imagesSent) {
        this.#imagesSent = text;
        this.#emit({ type: 'images', at: Date.now(), images });
      }
    } catch {
      // The store closing under a sweep at shutdown; the next sweep (if any) tries again.
    } finally {
      this.#sweeping = false;
    }
  }
}
