import { bytes, when } from '../format.js';
import type { VersionView } from '../types.js';

/**
 * How much of a version the store already held: its used bytes over the bytes it added.
 * "12.0×" means one byte in twelve was new; the first version of an image is near 1×.
 */
export function dedupRatio(v: VersionView): string {
  if (v.usedBytes === 0) return '–';
  if (v.newBytes === 0) return 'all shared';
  return `${(v.usedBytes / v.newBytes).toFixed(1)}×`;
}

const HEIGHT = 150;
const BAR = 28;
const GAP = 44;
const TOP = 18;
const BOTTOM = 34;

/**
 * Versions left to right, oldest first: each a column as tall as its used bytes, the part it
 * added to the store filled. Labels give the version, its date and its dedup ratio.
 */
export function VersionTimeline({ versions }: { readonly versions: readonly VersionView[] }) {
  const max = Math.max(1, ...versions.map((v) => v.usedBytes));
  const h = HEIGHT - TOP - BOTTOM;
  const width = Math.max(320, versions.length * (BAR + GAP) + GAP);
  return (
    <div class="timeline">
      <svg viewBox={`0 0 ${width} ${HEIGHT}`} width={width} height={HEIGHT} role="img" aria-label="versions timeline" data-testid="versions-timeline">
        <line class="grid" x1={0} x2={width} y1={TOP + h} y2={TOP + h} />
        {versions.map((v, i) => {
          const x = GAP / 2 + i * (BAR + GAP);
          const used = (v.usedBytes / max) * h;
          const added = (Math.min(v.newBytes, v.usedBytes) / max) * h;
          return (
            <g key={v.version}>
              <title>{`@${v.version}: ${bytes(v.usedBytes)} used, ${bytes(v.newBytes)} new, dedup ${dedupRatio(v)}`}</title>
              <rect class="used" x={x} y={TOP + h - used} width={BAR} height={used} />
              <rect class="added" x={x} y={TOP + h - added} width={BAR} height={added} />
              <text class="axis" x={x + BAR / 2} y={TOP - 6} text-anchor="middle">{dedupRatio(v)}</text>
              <text class="axis strong" x={x + BAR / 2} y={TOP + h + 14} text-anchor="middle">@{v.version}</text>
              <text class="axis" x={x + BAR / 2} y={TOP + h + 28} text-anchor="middle">{when(v.createdAt).slice(0, 10)}</text>
            </g>
          );
        })}
      </svg>
      <p class="legend"><span class="swatch used" /> used bytes <span class="swatch added" /> new bytes (added to the store by that version)</p>
    </div>
  );
}
