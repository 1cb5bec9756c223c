import type { MissingFragments, NakEntry, NakReport } from '@rackcast/wire';
import type { PassItem } from '../net/multicast/index.js';

/**
 * The next pass: the union of what the given receivers miss, in block order. A fragment two
 * receivers miss is sent once; a block any receiver misses entirely is sent whole. Pure.
 */
export function planRepairPass(reports: readonly NakReport[]): PassItem[] {
  const whole = new Set<number>();
  const partial = new Map<number, Set<number>>();
  for (const report of reports) {
    for (const entry of report.entries) {
      if (entry.kind === 'blocks') {
        for (let b = entry.first; b < entry.first + entry.count; b++) whole.add(b);
        continue;
      }
      const set = partial.get(entry.block) ?? new Set<number>();
      addMissingFragments(set, entry);
      partial.set(entry.block, set);
    }
  }
  const blocks = new Set<number>([...whole, ...partial.keys()]);
  return [...blocks].sort((a, b) => a - b).map((block) => {
    if (whole.has(block)) return { block };
    return { block, fragments: [...(partial.get(block) ?? [])].sort((a, b) => a - b) };
  });
}

/**
 * Adds the fragments `entry` marks missing to `into`, at most `max` new ones; returns how many
 * were new. Bits past the fragment count are ignored. Pure except for `into`.
 */
export function addMissingFragments(into: Set<number>, entry: MissingFragments, max = Number.POSITIVE_INFINITY): number {
  let added = 0;
  for (let f = 0; f < entry.fragmentCount && added < max; f++) {
    if (!(((entry.bitmap[f >> 3] ?? 0) >> (f & 7)) & 1) || into.has(f)) continue;
    into.add(f);
    added++;
  }
  return added;
}

/**
 * The report without entries past the session's last block (a whole-block run is cut at it).
 * The codec cannot know the block count; an entry past it would make the sender ask the store
 * for a block that does not exist, and end the pass with an error. Pure.
 */
export function withinBlocks(report: NakReport, blockCount: number): NakReport {
  const entries = report.entries.flatMap((e): NakEntry[] => {
    if (e.kind === 'fragments') return e.block < blockCount ? [e] : [];
    const count = Math.min(e.count, blockCount - e.first);
    if (count === e.count) return [e];
    return count > 0 ? [{ ...e, count }] : [];
  });
  return entries.length === report.entries.length && entries.every((e, i) => e === report.entries[i]) ? report : { ...report, entries };
}

/** Loss rate a report implies: the share of datagrams sent since joining that did not arrive. */
export function lossRate(report: Pick<NakReport, 'received' | 'sent'>): number {
  if (report.sent <= 0) return 0;
  return Math.min(1, Math.max(0, 1 - report.received / report.sent));
}

export interface StragglerPolicy {
  /** A straggler loses more than this share of datagrams, e.g. 0.25… */
  readonly minLoss: number;
  /** …and more than this many times the median loss of the other receivers, e.g. 3. */
  readonly factor: number;
}

/**
 * Receivers whose loss is far above the others': a slow link, a slow disk (its overruns count
 * as loss), or a flaky NIC. Compared with the median of the *other* receivers so that one bad
 * receiver among two is still found, and widespread loss (congestion) is not mistaken for
 * stragglers: then everyone is slow, and the rate governor backs off instead. Pure.
 */
export function findStragglers(loss: ReadonlyMap<string, number>, policy: StragglerPolicy): Set<string> {
  const stragglers = new Set<string>();
  for (const [id, rate] of loss) {
    if (rate <= policy.minLoss) continue;
    const others = [...loss].filter(([other]) => other !== id).map(([, r]) => r);
    if (others.length === 0) continue;
    if (rate > policy.factor * median(others)) stragglers.add(id);
  }
  return stragglers;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
