import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../log.js';
import { AccountStore, hashTokenSecret, LOCAL_ACTOR, type AccountAreas } from './account-store.js';
import { AuditLog, type AuditEntry } from './audit-log.js';
import { FailureLimiter } from './failure-limiter.js';
import { LoginSessions, readCookie, SESSION_COOKIE } from './login-sessions.js';
import type { Principal } from './roles.js';

const LOCAL_PREFIX = 'rcl_';

export interface AuthServiceOptions {
  readonly log: Logger;
  readonly sessionTtlMs?: number;
  /** Failed logins per source address per minute before 429; default 10. */
  readonly maxLoginFailures?: number;
}

/**
 * Who may use the technician API: accounts and API tokens (kept in the store), logged-in
 * browsers (in memory), the local credential of the server machine's CLI (new at every start,
 * written only to the 0600 state file beside the store) and the audit log.
 */
export class AuthService {
  readonly accounts: AccountStore;
  readonly logins: LoginSessions;
  readonly audit: AuditLog;
  readonly loginFailures: FailureLimiter;
  /** The local CLI's bearer secret; main writes it to the state file. */
  readonly localSecret: string;
  readonly #localHash: Buffer;
  readonly #log: Logger;

  private constructor(accounts: AccountStore, audit: AuditLog, options: AuthServiceOptions) {
    this.accounts = accounts;
    this.audit = audit;
    this.logins = new LoginSessions(options.sessionTtlMs);
    this.loginFailures = new FailureLimiter({ max: options.maxLoginFailures ?? 10 });
    this.localSecret = `${LOCAL_PREFIX}${randomBytes(32).toString('base64url')}`;
    this.#localHash = Buffer.from(hashTokenSecret(this.localSecret), 'hex');
    this.#log = options.log;
  }

  static async open(areas: AccountAreas, options: AuthServiceOptions): Promise<AuthService> {
    return new AuthService(await AccountStore.open(areas), await AuditLog.open(areas), options);
  }

  /**
   * The principal a request's credentials name, or null: `Authorization: Bearer <secret>` (an
   * API token or the local credential), else the login cookie, else `?access_token=` (the
   * dashboard's WebSocket, which cannot send headers).
   */
  principalOf(headers: IncomingHttpHeaders, queryToken?: string | null): Principal | null {
    const bearer = /^Bearer\s+(\S{1,512})$/i.exec(headers.authorization ?? '')?.[1] ?? queryToken ?? null;
    if (bearer) return this.#principalForSecret(bearer);
    const session = readCookie(headers.cookie, SESSION_COOKIE);
    const user = session ? this.logins.user(session) : null;
    return user ? this.accounts.principalForUser(user) : null;
  }

  /** Appends to the audit log; a failed write is logged, never fails the request that caused it. */
  record(entry: AuditEntry): void {
    this.audit.append(entry).catch((err: unknown) => this.#log.error({ err, entry }, 'audit log write failed'));
  }

  #principalForSecret(secret: string): Principal | null {
    if (secret.startsWith(LOCAL_PREFIX)) {
      const hash = Buffer.from(hashTokenSecret(secret), 'hex');
      return timingSafeEqual(hash, this.#localHash) ? { name: LOCAL_ACTOR, role: 'admin', via: 'local', account: LOCAL_ACTOR } : null;
    }
    return this.accounts.principalForToken(secret);
  }
}
