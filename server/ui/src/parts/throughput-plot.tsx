import type { ThroughputSample } from '../live-store.js';
import { rate } from '../format.js';

const WIDTH = 640;
const HEIGHT = 160;
const PAD = { left: 72, right: 10, top: 10, bottom: 20 };

/** A round axis top above `max` (1, 2 or 5 × a power of ten). */
function niceCeiling(max: number): number {
  if (max <= 0) return 1e6;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/**
 * The session's throughput over time (total MB/s written by its machines), drawn as one SVG
 * polyline from the samples the events socket brought since the page was opened.
 */
export function ThroughputPlot({ samples }: { readonly samples: readonly ThroughputSample[] }) {
  if (samples.length < 2) return <p class="muted" data-testid="throughput-empty">The plot fills as the machines report progress.</p>;
  const first = samples[0]?.t ?? 0;
  const last = samples.at(-1)?.t ?? first + 1;
  const span = Math.max(1, last - first);
  const top = niceCeiling(Math.max(...samples.map((s) => s.bytesPerSecond)));
  const w = WIDTH - PAD.left - PAD.right;
  const h = HEIGHT - PAD.top - PAD.bottom;
  const x = (t: number): number => PAD.left + ((t - first) / span) * w;
  const y = (v: number): number => PAD.top + h - (v / top) * h;
  const points = samples.map((s) => `${x(s.t).toFixed(1)},${y(s.bytesPerSecond).toFixed(1)}`).join(' ');
  const current = samples.at(-1)?.bytesPerSecond ?? 0;
  return (
    <figure class="plot">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`throughput, now ${rate(current)}`} data-testid="throughput-plot">
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text class="axis" x={PAD.left - 6} y={y(top * f) + 4} text-anchor="end">{rate(top * f)}</text>
          </g>
        ))}
        <text class="axis" x={PAD.left} y={HEIGHT - 4}>0 s</text>
        <text class="axis" x={WIDTH - PAD.right} y={HEIGHT - 4} text-anchor="end">{`${(span / 1000).toFixed(span < 10_000 ? 1 : 0)} s`}</text>
        <polyline class="line" points={points} />
      </svg>
      <figcaption>Total write rate of the session's machines: now {rate(current)}</figcaption>
    </figure>
  );
}
