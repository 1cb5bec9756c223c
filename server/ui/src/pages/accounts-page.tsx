import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import { ROLES, useSignedIn, type Role } from '../auth.js';
import { when } from '../format.js';
import { ErrorNote } from '../parts/badges.js';
import { ConfirmButton } from '../parts/confirm-button.js';
import type { TokenView, UserView } from '../types.js';

/** A list read from the API, read again after each change made on the page. */
function useList<T>(path: string, key: string): { items: readonly T[] | null; error: string | null; reload: () => void; fail: (err: unknown) => void } {
  const [items, setItems] = useState<readonly T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let current = true;
    api<Record<string, T[]>>('GET', path)
      .then((a) => { if (current) { setItems(a[key] ?? []); setError(null); } })
      .catch((err: unknown) => { if (current) setError(describeError(err)); });
    return () => { current = false; };
  }, [path, key, n]);
  return { items, error, reload: () => setN((x) => x + 1), fail: (err) => setError(describeError(err)) };
}

function RoleSelect({ value, onChange }: { readonly value: Role; readonly onChange: (r: Role) => void }) {
  return (
    <select name="role" value={value} onChange={(e) => onChange(ROLES.find((r) => r === e.currentTarget.value) ?? 'viewer')}>
      {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
    </select>
  );
}

/** Runs a form's request; clears the form on success, shows the server's message otherwise. */
function useSubmit(action: () => Promise<void>): { busy: boolean; error: string | null; submit: (e: Event) => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    action().catch((err: unknown) => setError(describeError(err))).finally(() => setBusy(false));
  };
  return { busy, error, submit };
}

function Users() {
  const users = useList<UserView>('/api/users', 'users');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const add = useSubmit(async () => {
    await api('POST', '/api/users', { name: name.trim(), password, role });
    setName('');
    setPassword('');
    users.reload();
  });
  return (
    <>
      <h2>Users</h2>
      <ErrorNote error={users.error} />
      <table class="grid-table" data-testid="users-table">
        <thead><tr><th>User</th><th>Role</th><th>Created</th><th>Changed</th><th /></tr></thead>
        <tbody>
          {(users.items ?? []).map((u) => (
            <tr key={u.name} data-user={u.name}>
              <td>{u.name}</td><td>{u.role}</td><td>{when(u.createdAt)}</td><td>{when(u.updatedAt)}</td>
              <td><ConfirmButton label="Remove" confirm={`Remove ${u.name}`} onConfirm={() => api('DELETE', `/api/users/${encodeURIComponent(u.name)}`).then(users.reload, users.fail)} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="panel" aria-label="Add a user" onSubmit={add.submit}>
        <label>User name <input name="new-user" required value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>Password <input name="new-password" type="password" autocomplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} /></label>
        <label>Role <RoleSelect value={role} onChange={setRole} /></label>
        <button type="submit" disabled={add.busy}>Add user</button>
        <span class="muted hint"> at least 10 characters</span>
        <ErrorNote error={add.error} />
      </form>
    </>
  );
}

function Tokens() {
  const tokens = useList<TokenView>('/api/tokens', 'tokens');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const create = useSubmit(async () => {
    const answer = await api<{ token: TokenView; secret: string }>('POST', '/api/tokens', { name: name.trim(), role });
    setSecret({ name: answer.token.name, secret: answer.secret });
    setName('');
    tokens.reload();
  });
  return (
    <>
      <h2>API tokens</h2>
      <ErrorNote error={tokens.error} />
      <table class="grid-table" data-testid="tokens-table">
        <thead><tr><th>Token</th><th>Role</th><th>Made by</th><th>Created</th><th /></tr></thead>
        <tbody>
          {(tokens.items ?? []).map((t) => (
            <tr key={t.id} data-token={t.name}>
              <td>{t.name}</td><td>{t.role}</td><td>{t.createdBy}</td><td>{when(t.createdAt)}</td>
              <td><ConfirmButton label="Revoke" confirm={`Revoke ${t.name}`} onConfirm={() => api('DELETE', `/api/tokens/${encodeURIComponent(t.id)}`).then(tokens.reload, tokens.fail)} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="panel" aria-label="Create an API token" onSubmit={create.submit}>
        <label>Token name <input name="token-name" required value={name} placeholder="ci-deploys" onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>Role <RoleSelect value={role} onChange={setRole} /></label>
        <button type="submit" disabled={create.busy}>Create token</button>
        <ErrorNote error={create.error} />
        {secret && (
          <p class="secret" role="status">Token {secret.name}: <code data-testid="token-secret">{secret.secret}</code><br />
            <span class="muted">Copy it now: the server keeps only its hash and will not show it again. Scripts send it as <code>Authorization: Bearer …</code>.</span></p>
        )}
      </form>
    </>
  );
}

/** Admin: the accounts that may sign in, and the API tokens scripts use. */
export function AccountsPage() {
  const me = useSignedIn();
  if (me !== null && me.user.role !== 'admin') {
    return <section><h1>Accounts</h1><p class="error">Accounts need the admin role; you are signed in as {me.user.name} ({me.user.role}).</p></section>;
  }
  return (
    <section>
      <header class="page-head"><h1>Accounts</h1></header>
      <Users />
      <Tokens />
    </section>
  );
}
