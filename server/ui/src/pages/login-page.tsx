import { useState } from 'preact/hooks';
import { authToken, setAuthToken } from '../auth.js';

/**
 * The seam for sign-in. Accounts come later; until then the server asks for no token, and this
 * page only keeps one for the tab (sent as a bearer token on every call and on the events socket).
 */
export function LoginPage() {
  const [token, setToken] = useState(authToken() ?? '');
  const [saved, setSaved] = useState(false);
  return (
    <section>
      <header class="page-head"><h1>Sign in</h1></header>
      <form class="panel" aria-label="Sign in" onSubmit={(e) => { e.preventDefault(); setAuthToken(token.trim() || null); setSaved(true); location.reload(); }}>
        <p class="muted">This server has no accounts yet: every page works without signing in.</p>
        <label>API token <input name="token" type="password" value={token} onInput={(e) => { setToken(e.currentTarget.value); setSaved(false); }} class="wide" /></label>
        <button type="submit">Use this token</button>
        {saved && <p role="status">Saved for this tab.</p>}
      </form>
    </section>
  );
}
