import { api } from './api.js';
import { setAuthToken, setSignedIn, signedIn, type Role, type SignedIn } from './auth.js';
import { disconnectLive, reconnectLive } from './live-socket.js';

/** Asks the server who this page is signed in as; a 401 opens the sign-in page (api.ts). */
export async function loadSignedIn(): Promise<SignedIn | null> {
  try {
    const me = await api<SignedIn>('GET', '/api/auth/me');
    setSignedIn(me);
    return me;
  } catch {
    setSignedIn(null);
    return null;
  }
}

/** Signs in with a user name and password: the server sets the session cookie. */
export async function signIn(username: string, password: string): Promise<SignedIn> {
  const answer = await api<{ user: { name: string; role: Role } }>('POST', '/api/auth/login', { username, password });
  // A token kept from before would be sent instead of the new cookie (the server prefers it).
  setAuthToken(null);
  const me: SignedIn = { user: answer.user, via: 'session' };
  setSignedIn(me);
  reconnectLive();
  return me;
}

/** Uses an API token for this tab instead of an account's password. */
export async function signInWithToken(token: string): Promise<SignedIn | null> {
  setAuthToken(token);
  const me = await api<SignedIn>('GET', '/api/auth/me').catch((err: unknown) => {
    setAuthToken(null);
    throw err;
  });
  setSignedIn(me);
  reconnectLive();
  return me;
}

/** Ends the login (and forgets a token), then shows the sign-in page. */
export async function signOut(): Promise<void> {
  const wasSession = signedIn()?.via !== 'token';
  setAuthToken(null);
  if (wasSession) await api('POST', '/api/auth/logout').catch(() => undefined);
  setSignedIn(null);
  disconnectLive();
  location.hash = '#/login';
}
