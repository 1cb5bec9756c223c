import type { DeployView } from '../deploy/index.js';

/** The fields of a session view (GET /api/sessions/:id, or one `session` event) that the watcher draws. */
export interface WatchedSession {
  readonly id: number;
  readonly image: string;
  readonly version: number;
  readonly phase: string;
  readonly deploy: DeployView | null;
  readonly receivers: readonly {
    readonly id: string; readonly state: string; readonly failure: { code: string; message: string } | null;
    readonly progress: { bytesDone: number; bytesTotal: number; rate: number; etaSeconds: number | null; repairs: number } | null;
  }[];
}

/** One progress bar: a deploy member or a plain session's receiver. */
export interface WatchRow {
  readonly key: string;
  readonly label: string;
  readonly state: string;
  /** 0..1 of the current stage. */
  readonly fraction: number;
  readonly rate: number;
  readonly etaSeconds: number | null;
  readonly repairs: number;
  readonly failure: string | null;
}

export function watchRows(s: WatchedSession): WatchRow[] {
  if (s.deploy) {
    return s.deploy.members.map((m) => ({
      key: m.mac, label: `${m.mac} ${m.hostname ?? '-'}`, state: m.state,
      fraction: m.state === 'done' ? 1 : m.bytesTotal > 0 ? Math.min(1, m.bytesDone / m.bytesTotal) : 0,
      rate: m.rate, etaSeconds: m.etaSeconds, repairs: m.repairs, failure: m.failure ? `${m.failure.code}: ${m.failure.message}` : null,
    }));
  }
  return s.receivers.map((r) => ({
    key: r.id, label: r.id, state: r.state, fraction: r.state === 'done' ? 1 : r.progress && r.progress.bytesTotal > 0 ? r.progress.bytesDone / r.progress.bytesTotal : 0,
    rate: r.progress?.rate ?? 0, etaSeconds: r.progress?.etaSeconds ?? null, repairs: r.progress?.repairs ?? 0, failure: r.failure ? `${r.failure.code}: ${r.failure.message}` : null,
  }));
}

function eta(seconds: number | null): string {
  if (seconds === null) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** One line with a bar: "52:54:00:aa:00:01 rack1-1  [#######.......]  50% receiving      11.2 MB/s  ETA 0:07  repairs 2". */
export function renderRow(row: WatchRow, labelWidth: number, barWidth = 24): string {
  const filled = Math.round(row.fraction * barWidth);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`;
  const pct = `${Math.floor(row.fraction * 100)}%`.padStart(4);
  const tail = row.failure ?? `${(row.rate / 1e6).toFixed(1).padStart(6)} MB/s  ETA ${eta(row.etaSeconds)}  repairs ${row.repairs}`;
  return `${row.label.padEnd(labelWidth)}  ${bar} ${pct} ${row.state.padEnd(16)} ${tail}`;
}

/** A plain line for logs (no terminal): what changed. */
export function plainLine(row: WatchRow): string {
  return `${row.label}: ${row.state} ${Math.floor(row.fraction * 100)}%` + (row.failure ? ` ${row.failure}` : ` ${(row.rate / 1e6).toFixed(1)} MB/s repairs ${row.repairs}`);
}

/** The header line of a watched session. */
export function headLine(s: WatchedSession): string {
  const d = s.deploy;
  return d
    ? `session ${s.id}: ${s.image}@${s.version} ${s.phase}; deploy ${d.state}: ${d.done} done, ${d.failed} failed, ${d.members.length - d.done - d.failed} running${d.open > 0 ? `, ${d.open} waiting for a machine to boot` : ''}`
    : `session ${s.id}: ${s.image}@${s.version} ${s.phase}`;
}

/** True when the watcher should stop: the deploy is over, or the plain stream ended. */
export function isOver(s: WatchedSession): boolean {
  return s.deploy ? s.deploy.state === 'complete' : s.phase === 'complete' || s.phase === 'cancelled';
}

/** Exit code when over: 0 if every member (receiver) is done, 1 otherwise. */
export function exitCodeOf(s: WatchedSession): number {
  return watchRows(s).every((r) => r.state === 'done') && (s.deploy?.open ?? 0) === 0 ? 0 : 1;
}
