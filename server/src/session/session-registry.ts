import type { Logger } from '../log.js';
import { RackcastError } from '../errors.js';
import type { ImageStore, StateArea, VersionSelector } from '../store/index.js';
import type { SessionRecord } from './session-record.js';
import { DEFAULT_TIMERS, StreamSession, type SessionTimers } from './stream-session.js';
import { randomBytes } from 'node:crypto';

/** Multicast settings a session takes unless its request names others (config `multicast`). */
export interface MulticastDefaults {
  /** Local IPv4 address whose interface carries streams, e.g. "10.0.0.1". */
  readonly interfaceAddress: string;
  /** Session n gets group base + n, e.g. "239.77.0.0" → 239.77.0.n. */
  readonly groupBase: string;
  /** Session n gets port base + n mod 1000. */
  readonly portBase: number;
  readonly ttl: number;
  readonly datagramSize: number;
  /** Wire bits per second; 0 = as fast as the host can. */
  readonly rateBps: number;
  /** UDP segmentation offload for every session's sender (a property of the host); default on. */
  readonly segmentOffload?: boolean;
}

export interface CreateSessionRequest {
  readonly image: string;
  readonly version: VersionSelector;
  /** Receivers to wait for before streaming (one token is issued for each). */
  readonly expect: number;
  readonly rateBps?: number;
  readonly group?: string;
  readonly port?: number;
  readonly interfaceAddress?: string;
  readonly datagramSize?: number;
  /** Wait for the first receiver without a time limit (deploys); see SessionRecord. */
  readonly waitForFirstReceiver?: boolean;
}

/** Creates, finds and resumes stream sessions; their records live in the store's LevelDB. */
export class SessionRegistry {
  readonly #store: ImageStore;
  readonly #defaults: MulticastDefaults;
  readonly #log: Logger;
  readonly #timers: SessionTimers;
  readonly #records: StateArea<SessionRecord>;
  readonly #meta: StateArea<number>;
  readonly #sessions = new Map<number, StreamSession>();

  constructor(store: ImageStore, defaults: MulticastDefaults, log: Logger, timers: SessionTimers = DEFAULT_TIMERS) {
    this.#store = store;
    this.#defaults = defaults;
    this.#log = log;
    this.#timers = timers;
    this.#records = store.stateArea<SessionRecord>('session');
    this.#meta = store.stateArea<number>('session-meta');
  }

  /** Loads every stored session; those still waiting or streaming start again (server restart). */
  async resume(): Promise<void> {
    for (const record of await this.#records.values()) {
      const session = await this.#open(record);
      if (record.phase === 'waiting' || record.phase === 'transfer') {
        this.#log.info({ session: record.id, phase: record.phase, pass: record.pass }, 'resuming session');
        session.start();
      }
    }
  }

  async create(request: CreateSessionRequest): Promise<{ session: StreamSession; tokens: string[] }> {
    const version = await this.#store.resolveVersion(request.image, request.version);
    const id = ((await this.#meta.get('next')) ?? 1);
    await this.#meta.put('next', id + 1);
    const tokens = Array.from({ length: request.expect }, () => newToken());
    const d = this.#defaults;
    const record: SessionRecord = {
      id, image: version.image, version: version.version, blockCount: version.blockCount, bytesTotal: version.usedBytes,
      key: StreamSession.newKey(),
      group: request.group ?? groupFor(d.groupBase, id),
      port: request.port ?? d.portBase + (id % 1000),
      interfaceAddress: request.interfaceAddress ?? d.interfaceAddress,
      ttl: d.ttl,
      datagramSize: request.datagramSize ?? d.datagramSize,
      rateBps: request.rateBps ?? d.rateBps,
      expect: request.expect,
      ...(request.waitForFirstReceiver ? { waitForFirstReceiver: true } : {}),
      createdAt: new Date().toISOString(),
      phase: 'waiting', pass: 0, tokens: [...tokens], receivers: [], fragmentsSent: 0, repairFragments: 0, finishedAt: null,
    };
    await this.#records.put(String(id), record);
    const session = await this.#open(record);
    session.start();
    this.#log.info({ session: id, image: record.image, version: record.version, group: record.group, port: record.port }, 'session created');
    return { session, tokens };
  }

  get(id: number): StreamSession {
    const session = this.#sessions.get(id);
    if (!session) throw new RackcastError('RC_ERR_SESSION_NOT_FOUND', `no session ${id}`, { session: id });
    return session;
  }

  list(): StreamSession[] {
    return [...this.#sessions.values()].sort((a, b) => a.record.id - b.record.id);
  }

  /** Issues more receiver tokens (late joiners, replacements). */
  async issueTokens(id: number, count: number): Promise<string[]> {
    const session = this.get(id);
    const tokens = Array.from({ length: count }, () => newToken());
    session.record.tokens.push(...tokens);
    await this.#records.put(String(id), session.record);
    return tokens;
  }

  /** Stops every session's sending; records stay, so a restart resumes them. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((s) => s.shutdown()));
  }

  async #open(record: SessionRecord): Promise<StreamSession> {
    const version = await this.#store.resolveVersion(record.image, record.version);
    const manifest = await this.#store.readManifest(version);
    const session = new StreamSession(record, manifest, this.#store, (r) => this.#records.put(String(r.id), r), this.#log, this.#timers,
      { segmentOffload: this.#defaults.segmentOffload ?? true });
    this.#sessions.set(record.id, session);
    return session;
  }
}

/** Tokens are bearer secrets: 24 random bytes, URL-safe. */
function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function groupFor(base: string, id: number): string {
  const parts = base.split('.').map(Number);
  const n = ((parts[2] ?? 0) << 8) + (parts[3] ?? 0) + id;
  return `${parts[0]}.${parts[1]}.${(n >> 8) & 255}.${n & 255}`;
}
