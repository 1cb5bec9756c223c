import { useEffect, useState } from 'preact/hooks';

/**
 * Who is signed in, and the credential the page sends. A browser signs in with a user name and
 * password: the server answers with an HttpOnly cookie the page never sees, which every API
 * call and the events socket carry by themselves (same origin). An API token is the second way
 * in: kept for this tab only (sessionStorage), sent as `Authorization: Bearer <token>` and, on
 * the socket, as `?access_token=` (a browser cannot set headers on a WebSocket).
 */
const TOKEN_KEY = 'rackcast.token';
/** Where the page was going when the server asked for a sign-in (this tab only). */
const NEXT_KEY = 'rackcast.next';

/** Account roles, weakest first (the server's auth/roles.ts). */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** GET /api/auth/me. */
export interface SignedIn {
  readonly user: { readonly name: string; readonly role: Role };
  readonly via: 'session' | 'token' | 'local';
}

export function authToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setAuthToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function authHeaders(): Record<string, string> {
  const token = authToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** The events socket's URL on the server that served this page. */
export function eventsUrl(): string {
  const token = authToken();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/api/events${token ? `?access_token=${encodeURIComponent(token)}` : ''}`;
}

/** Opens the sign-in page, remembering where the page was (unless it is already there). */
export function sendToLogin(): void {
  if (location.hash.startsWith('#/login')) return;
  sessionStorage.setItem(NEXT_KEY, location.hash || '#/machines');
  location.hash = '#/login';
}

/** Where to go after signing in: the page the server turned away, else the machines. */
export function takeNextPage(): string {
  const next = sessionStorage.getItem(NEXT_KEY);
  sessionStorage.removeItem(NEXT_KEY);
  return next && !next.startsWith('#/login') ? next : '#/machines';
}

export function roleAtLeast(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

let current: SignedIn | null = null;
const listeners = new Set<(s: SignedIn | null) => void>();

export function signedIn(): SignedIn | null {
  return current;
}

export function setSignedIn(value: SignedIn | null): void {
  current = value;
  for (const listener of listeners) listener(value);
}

/** The signed-in user in a component (null until known, and after signing out). */
export function useSignedIn(): SignedIn | null {
  const [value, setValue] = useState(current);
  useEffect(() => {
    setValue(current);
    listeners.add(setValue);
    return () => { listeners.delete(setValue); };
  }, []);
  return value;
}

/** Props for a button that changes things: disabled, with the reason, when the role is too low. */
export interface RoleGate {
  readonly disabled: boolean;
  readonly title: string | undefined;
}

/**
 * Whether the signed-in user holds `needed`. While nobody is known yet the button stays
 * enabled: the server decides, and its 403 message is shown.
 */
export function useRoleGate(needed: Role): RoleGate {
  const me = useSignedIn();
  if (me === null || roleAtLeast(me.user.role, needed)) return { disabled: false, title: undefined };
  return { disabled: true, title: `needs the ${needed} role; you are signed in as ${me.user.name} (${me.user.role})` };
}
