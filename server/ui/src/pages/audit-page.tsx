import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import { when } from '../format.js';
import { ErrorNote } from '../parts/badges.js';
import type { AuditEntry } from '../types.js';

const LIMITS = [100, 500, 1000] as const;

/** Admin: the newest audit entries (every change, every refused request, every login). */
export function AuditPage() {
  const [limit, setLimit] = useState<number>(100);
  const [entries, setEntries] = useState<readonly AuditEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let current = true;
    api<{ entries: AuditEntry[] }>('GET', `/api/audit?limit=${limit}`)
      .then((a) => { if (current) { setEntries(a.entries); setError(null); } })
      .catch((err: unknown) => { if (current) setError(describeError(err)); });
    return () => { current = false; };
  }, [limit, n]);
  return (
    <section>
      <header class="page-head">
        <h1>Audit</h1>
        <select aria-label="entries shown" value={String(limit)} onChange={(e) => setLimit(Number(e.currentTarget.value))}>
          {LIMITS.map((l) => <option key={l} value={String(l)}>newest {l}</option>)}
        </select>
        <button type="button" onClick={() => setN((x) => x + 1)}>Refresh</button>
      </header>
      <ErrorNote error={error} />
      {entries === null ? <p class="muted">{error ? '' : 'Loading…'}</p> : (
        <table class="grid-table" data-testid="audit-table">
          <thead><tr><th>Time</th><th>Who</th><th>Via</th><th>Role</th><th>Action</th><th>Target</th><th class="num">Status</th><th>From</th></tr></thead>
          <tbody>
            {entries.map((e, i) => (
              <tr key={`${e.at}-${i}`} class={e.status >= 400 ? 'refused' : ''}>
                <td>{when(e.at)}</td><td>{e.actor}</td><td>{e.via}</td><td>{e.role ?? '–'}</td>
                <td class="mono">{e.action}</td><td class="mono">{e.target}</td><td class="num">{e.status}</td><td class="mono">{e.ip}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
