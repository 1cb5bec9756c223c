import type { StateArea } from '../store/index.js';
import type { AccountAreas } from './account-store.js';

/** One line of the audit log: who did what, to what, and how it ended. */
export interface AuditEntry {
  /** ISO time the request finished. */
  readonly at: string;
  /** User name, "token:<name>", "local-cli", or "-" when nobody authenticated. */
  readonly actor: string;
  readonly via: 'session' | 'token' | 'local' | 'none';
  readonly role: string | null;
  /** Method and route, e.g. "POST /api/deploys". */
  readonly action: string;
  /** The full path requested, e.g. "/api/users/alice". */
  readonly target: string;
  readonly status: number;
  readonly ip: string;
}

/** Entries shown at most by one query. */
export const MAX_AUDIT_QUERY = 1000;

/**
 * The audit log, append-only, in the store's LevelDB. Keys are the time in milliseconds
 * (zero-padded) plus a counter, so key order is time order and the newest are read by a
 * reverse scan without loading the rest.
 */
export class AuditLog {
  readonly #area: StateArea<AuditEntry>;
  #last = 0;
  #seq = 0;
  /** Writes go one after another, and a read waits for those before it, so a query sees every earlier change. */
  #writes: Promise<void> = Promise.resolve();

  private constructor(areas: AccountAreas) {
    this.#area = areas.stateArea<AuditEntry>('audit');
  }

  /** Opens the log; the first read waits until LevelDB has opened the sublevel, which a write would not. */
  static async open(areas: AccountAreas): Promise<AuditLog> {
    const log = new AuditLog(areas);
    await log.#area.newest(1);
    return log;
  }

  async append(entry: AuditEntry): Promise<void> {
    const ms = Math.max(Date.parse(entry.at) || Date.now(), this.#last);
    this.#seq = ms === this.#last ? this.#seq + 1 : 0;
    this.#last = ms;
    const key = `${String(ms).padStart(15, '0')}-${String(this.#seq).padStart(6, '0')}`;
    const write = this.#writes.then(() => this.#area.put(key, entry));
    this.#writes = write.catch(() => undefined);
    await write;
  }

  /** The newest `limit` entries, newest first. */
  async newest(limit: number): Promise<AuditEntry[]> {
    await this.#writes;
    return this.#area.newest(Math.max(1, Math.min(MAX_AUDIT_QUERY, Math.floor(limit))));
  }
}
