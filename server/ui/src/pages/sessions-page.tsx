import { useMemo } from 'preact/hooks';
import { when } from '../format.js';
import { useLive } from '../live-store.js';
import { StateBadge } from '../parts/badges.js';
import { ProgressBar } from '../parts/progress-bar.js';
import { href } from '../route.js';
import { sessionState, totals } from '../session-progress.js';

/** Every session, newest first, with its overall progress. */
export function SessionsPage() {
  const live = useLive();
  const sessions = useMemo(() => [...live.sessions.values()].sort((a, b) => b.id - a.id), [live.sessions]);
  return (
    <section>
      <header class="page-head"><h1>Sessions</h1><a class="button" href={href({ page: 'deploy' })}>New deploy</a></header>
      {sessions.length === 0 ? <p class="muted">{live.ready ? 'No sessions yet.' : 'Loading…'}</p> : (
        <table class="grid-table" data-testid="sessions-table">
          <thead><tr><th>#</th><th>Image</th><th>Kind</th><th>State</th><th>Progress</th><th class="num">Machines</th><th class="num">Done</th><th class="num">Failed</th><th>Created</th></tr></thead>
          <tbody>
            {sessions.map((s) => {
              const t = totals(s);
              const state = sessionState(s);
              return (
                <tr key={s.id} data-session={s.id}>
                  <td><a href={href({ page: 'session', id: s.id })}>{s.id}</a></td>
                  <td>{s.image}@{s.version}</td>
                  <td>{s.deploy ? `deploy (${s.deploy.mode === 'count' ? `next ${s.deploy.count}` : 'machines'})` : 'stream'}</td>
                  <td><StateBadge state={state} /></td>
                  <td class="bar-cell"><ProgressBar done={t.done} total={t.total} state={state === 'complete' ? 'done' : state} label={`session ${s.id}`} /></td>
                  <td class="num">{t.machines}</td>
                  <td class="num">{t.finished}</td>
                  <td class="num">{t.failed}</td>
                  <td>{when(s.createdAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
