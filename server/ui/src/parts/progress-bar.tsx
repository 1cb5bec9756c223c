import { percent } from '../format.js';

interface Props {
  readonly done: number;
  readonly total: number;
  /** "done" and "failed" colour the bar. */
  readonly state: string;
  readonly label: string;
}

/** A horizontal bar with its percentage, exposed as an ARIA progressbar (the browser tests read aria-valuenow). */
export function ProgressBar({ done, total, state, label }: Props) {
  const value = Math.floor(percent(done, total));
  const tone = state === 'done' ? 'ok' : state === 'failed' || state === 'lost' ? 'bad' : 'busy';
  return (
    <div class={`bar bar-${tone}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value}>
      <div class="bar-fill" style={{ width: `${value}%` }} />
      <span class="bar-text">{value} %</span>
    </div>
  );
}
