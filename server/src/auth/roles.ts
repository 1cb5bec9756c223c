/** Account roles, weakest first: a viewer reads, an operator also changes things, an admin also manages accounts. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `held` grants at least what `needed` does. */
export function roleAtLeast(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** Who made a request: an account's login session, an API token, or the server machine's own CLI. */
export interface Principal {
  /** The user name, the token's name ("token:<name>") or "local-cli". */
  readonly name: string;
  readonly role: Role;
  readonly via: 'session' | 'token' | 'local';
  /** The account acting: the user, a token's creator, or "local-cli" (tokens it makes belong to it). */
  readonly account: string;
}
