import { useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import { useRoleGate } from '../auth.js';
import { bytes, duration, rate, when } from '../format.js';
import { useLive } from '../live-store.js';
import { ErrorNote, StateBadge } from '../parts/badges.js';
import { ConfirmButton } from '../parts/confirm-button.js';
import { ProgressBar } from '../parts/progress-bar.js';
import { ThroughputPlot } from '../parts/throughput-plot.js';
import { href } from '../route.js';
import { isFinishedState, isSessionRunning, progressLines, sessionState, type ProgressLine } from '../session-progress.js';

function LineRow({ line }: { readonly line: ProgressLine }) {
  const finished = isFinishedState(line.state);
  return (
    <tr data-line={line.key} data-state={line.state}>
      <td class="num">{line.label}</td>
      <td class="mono">{line.mac ? <a href={href({ page: 'machine', mac: line.mac })}>{line.mac}</a> : '–'}</td>
      <td>{line.hostname ?? '–'}</td>
      <td><StateBadge state={line.state} /></td>
      <td class="bar-cell"><ProgressBar done={line.bytesDone} total={line.bytesTotal} state={line.state} label={line.mac ?? line.label} /></td>
      <td class="num">{bytes(line.bytesDone)} / {bytes(line.bytesTotal)}</td>
      <td class="num">{finished ? '–' : rate(line.rate)}</td>
      <td class="num">{finished ? '–' : duration(line.etaSeconds)}</td>
      <td class="num">{line.repairs}</td>
      <td class="failure" title={line.failure?.message ?? ''}>{line.failure ? <code>{line.failure.code}</code> : ''}</td>
    </tr>
  );
}

/** One session: per-machine progress, the throughput plot, failures with reasons; cancel. */
export function SessionPage({ id }: { readonly id: number }) {
  const live = useLive();
  const session = live.sessions.get(id);
  const [error, setError] = useState<string | null>(null);
  const gate = useRoleGate('operator');
  if (!session) return <section><h1>Session {id}</h1><p class="muted">{live.ready ? 'No such session.' : 'Loading…'}</p></section>;
  const lines = progressLines(session);
  const failures = lines.filter((l) => l.failure !== null);
  const d = session.deploy;
  const cancel = async (): Promise<void> => {
    try {
      await api('DELETE', `/api/sessions/${id}`);
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <section>
      <header class="page-head">
        <h1>Session {id}: {session.image}@{session.version}</h1>
        <StateBadge state={sessionState(session)} />
        {isSessionRunning(session) && <ConfirmButton {...gate} label="Cancel session" confirm={`Cancel session ${id}`} onConfirm={cancel} />}
      </header>
      <ErrorNote error={error} />
      <dl class="facts">
        <dt>Stream</dt><dd>{session.phase}, pass {session.pass}, {bytes(session.bytesTotal)} in {session.blockCount} blocks, {session.group}:{session.port}{session.rateBps ? `, capped at ${(session.rateBps / 1e6).toFixed(0)} Mbit/s` : ''}</dd>
        {d && <><dt>Deploy</dt><dd>{d.done} done, {d.failed} failed{d.open > 0 ? `, ${d.open} waiting for the next machines that boot` : ''} of {d.count}; host names {d.hostnamePattern}</dd></>}
        <dt>Created</dt><dd>{when(session.createdAt)}{session.finishedAt ? `, finished ${when(session.finishedAt)}` : ''}</dd>
      </dl>
      <ThroughputPlot samples={live.throughput.get(id) ?? []} />
      <table class="grid-table" data-testid="progress-table">
        <thead><tr><th class="num">#</th><th>MAC</th><th>Host name</th><th>State</th><th>Progress</th><th class="num">Bytes</th><th class="num">Speed</th><th class="num">ETA</th><th class="num">Repairs</th><th>Failure</th></tr></thead>
        <tbody>{lines.map((l) => <LineRow key={l.key} line={l} />)}</tbody>
      </table>
      {lines.length === 0 && <p class="muted">No machine has joined yet.</p>}
      {failures.length > 0 && (
        <div class="panel failures" data-testid="failures">
          <h2>Failures</h2>
          <ul>{failures.map((l) => <li key={l.key}><strong>{l.mac ?? l.label}</strong>: <code>{l.failure?.code}</code> {l.failure?.message}</li>)}</ul>
        </div>
      )}
    </section>
  );
}
