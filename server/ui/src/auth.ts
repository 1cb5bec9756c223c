/**
 * The seam for accounts, which come later: a bearer token kept for this browser tab. Every API
 * call sends it as `Authorization: Bearer <token>`, and the events socket as `?access_token=`
 * (a browser cannot set headers on a WebSocket). Today the server asks for none, so it stays
 * unset; an answer of 401 sends the page to #/login.
 */
const KEY = 'rackcast.token';

export function authToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setAuthToken(token: string | null): void {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
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
