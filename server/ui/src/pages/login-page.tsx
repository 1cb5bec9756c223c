import { useState } from 'preact/hooks';
import { describeError } from '../api.js';
import { takeNextPage } from '../auth.js';
import { ErrorNote } from '../parts/badges.js';
import { signIn, signInWithToken } from '../sign-in.js';

/** Runs a sign-in; on success the page goes where it was going, on failure it shows the server's message. */
function useSignIn(): { busy: boolean; error: string | null; run: (attempt: () => Promise<unknown>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (attempt: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await attempt();
      location.hash = takeNextPage();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

/** An API token for this tab instead of a password (scripts' tokens work here too). */
function TokenForm() {
  const [token, setToken] = useState('');
  const { busy, error, run } = useSignIn();
  return (
    <details class="panel">
      <summary>Use an API token instead</summary>
      <form aria-label="Use an API token" onSubmit={(e) => { e.preventDefault(); void run(() => signInWithToken(token.trim())); }}>
        <label>API token <input name="token" type="password" autocomplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)} class="wide" /></label>
        <button type="submit" disabled={busy}>Use this token</button>
        <p class="muted">Kept for this browser tab only; closing the tab forgets it.</p>
        <ErrorNote error={error} />
      </form>
    </details>
  );
}

/** Sign in with a user name and password (the server keeps the login in an HttpOnly cookie). */
export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useSignIn();
  return (
    <section class="login">
      <header class="page-head"><h1>Sign in</h1></header>
      <form class="panel" aria-label="Sign in" onSubmit={(e) => { e.preventDefault(); void run(() => signIn(username.trim(), password)); }}>
        <label>User name <input name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} /></label>
        <div class="actions"><button type="submit" class="primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button></div>
        <ErrorNote error={error} />
        <p class="muted">No account yet? On the server: <code>rackcast user add &lt;name&gt; --role admin</code>.</p>
      </form>
      <TokenForm />
    </section>
  );
}
