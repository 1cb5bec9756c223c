import { randomBytes } from 'node:crypto';

/** The dashboard's login cookie. */
export const SESSION_COOKIE = 'rackcast_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Logins kept at most; the oldest goes first (each needs a correct password, so this is a backstop). */
const MAX_SESSIONS = 10_000;

interface LoginSession {
  readonly user: string;
  readonly expiresAt: number;
}

/**
 * Logged-in browsers, in memory: a restart logs everyone out, which is acceptable for a boot
 * appliance and keeps session secrets off the disk. A session holds the user name only; the
 * role is looked up on every request, so a changed role or removed account applies at once.
 */
export class LoginSessions {
  readonly #sessions = new Map<string, LoginSession>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs = SESSION_TTL_MS, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  create(user: string): string {
    this.#prune();
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { user, expiresAt: this.#now() + this.#ttlMs });
    return id;
  }

  /** The user of a live session, or null. */
  user(id: string): string | null {
    const session = this.#sessions.get(id);
    if (!session) return null;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return null;
    }
    return session.user;
  }

  end(id: string): void {
    this.#sessions.delete(id);
  }

  #prune(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
    while (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
  }
}

/** The value of one cookie from a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function sessionCookie(id: string, ttlMs = SESSION_TTL_MS): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(ttlMs / 1000)}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}
