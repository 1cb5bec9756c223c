import type { Failure, SessionView } from './types.js';

/** One machine's line on a session page: a deploy member, or a receiver of a plain stream. */
export interface ProgressLine {
  readonly key: string;
  /** "1", "2"… for members; "r1"… for receivers. */
  readonly label: string;
  readonly mac: string | null;
  readonly hostname: string | null;
  readonly state: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Bytes per second. */
  readonly rate: number;
  readonly etaSeconds: number | null;
  readonly repairs: number;
  readonly failure: Failure | null;
}

const FINISHED = new Set(['done', 'failed', 'lost']);

export function isFinishedState(state: string): boolean {
  return FINISHED.has(state);
}

/** The lines of a session: its deploy's members, else its receivers. A finished machine reads 100 %. */
export function progressLines(session: SessionView): ProgressLine[] {
  if (session.deploy !== null) {
    return session.deploy.members.map((m) => ({
      key: m.mac, label: String(m.index), mac: m.mac, hostname: m.hostname, state: m.state,
      bytesDone: m.state === 'done' ? Math.max(m.bytesDone, m.bytesTotal) : m.bytesDone, bytesTotal: m.bytesTotal,
      rate: m.rate, etaSeconds: m.etaSeconds, repairs: m.repairs, failure: m.failure,
    }));
  }
  return session.receivers.map((r) => {
    const total = r.progress?.bytesTotal ?? session.bytesTotal;
    const done = r.state === 'done' ? total : r.progress?.bytesDone ?? 0;
    const active = !isFinishedState(r.state);
    return {
      key: r.id, label: r.id, mac: null, hostname: null, state: r.straggler && active ? `${r.state} (backfill)` : r.state,
      bytesDone: done, bytesTotal: total, rate: active ? r.progress?.rate ?? 0 : 0, etaSeconds: active ? r.progress?.etaSeconds ?? null : null,
      repairs: r.progress?.repairs ?? 0, failure: r.failure,
    };
  });
}

/** The session's state in one word: the deploy's when it has one, else the stream's phase. */
export function sessionState(session: SessionView): string {
  if (session.deploy === null) return session.phase;
  if (session.deploy.state === 'complete') return session.deploy.failed > 0 ? 'complete (with failures)' : 'complete';
  return session.phase === 'cancelled' ? 'cancelled' : 'running';
}

export function isSessionRunning(session: SessionView): boolean {
  return session.deploy !== null ? session.deploy.state === 'running' && session.phase !== 'cancelled' : session.phase === 'waiting' || session.phase === 'transfer';
}

/** Sum of the machines' write rates: what the plot shows. */
export function totalRate(session: SessionView): number {
  return progressLines(session).reduce((sum, l) => sum + (isFinishedState(l.state) ? 0 : l.rate), 0);
}

/** Bytes done and to do over every machine (the sessions list's bar). */
export function totals(session: SessionView): { done: number; total: number; machines: number; finished: number; failed: number } {
  const lines = progressLines(session);
  const open = session.deploy?.open ?? Math.max(0, session.expect - session.receivers.length);
  return {
    done: lines.reduce((s, l) => s + l.bytesDone, 0),
    total: lines.reduce((s, l) => s + l.bytesTotal, 0) + open * session.bytesTotal,
    machines: lines.length + open,
    finished: lines.filter((l) => l.state === 'done').length,
    failed: lines.filter((l) => l.state === 'failed' || l.state === 'lost').length,
  };
}
