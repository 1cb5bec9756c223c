import type { TransferProgress } from '../image/index.js';
import { formatBytes } from './format.js';

/**
 * A one-line progress bar on stderr, redrawn at most 5 times a second, only on a terminal
 * (logs and --json output stay clean).
 */
export function progressLine(label: string, stream: NodeJS.WriteStream = process.stderr): { update(p: TransferProgress): void; done(): void } {
  const started = Date.now();
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (!stream.isTTY || now - last < 200) return;
      last = now;
      drawn = true;
      const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
      const bar = '#'.repeat(Math.round(fraction * 30)).padEnd(30, '.');
      const rate = p.done / Math.max(0.001, (now - started) / 1000);
      stream.write(`\r${label} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(p.done)} / ${formatBytes(p.total)} ${formatBytes(rate)}/s `);
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}
