import type { NakEntry } from '@rackcast/wire';
import type { PassItem } from '../net/multicast/index.js';
import { addMissingFragments } from './plan-repair-pass.js';

/** Share of a pass's datagrams the sender may spend on in-pass repairs. */
export const IN_PASS_REPAIR_SHARE = 0.25;

/**
 * Fragments receivers asked for while a pass is still running (interim NAK reports), merged
 * across receivers: a fragment three receivers miss is queued once. The sender drains it
 * between blocks, so a block that lost a fragment or two is completed a fraction of a second
 * later, while its other fragments still sit in the receiver's memory, instead of being
 * spilled to disk and repaired a whole pass later.
 *
 * Only fragments of partial blocks are queued: a block missing whole waits for the pass end
 * (asking for it mid-pass would add load exactly when a receiver is overrun). Bounded twice:
 * at most `maxFragments` queued, and `take` is given a budget (a share of the pass), so a
 * receiver that loses much cannot slow the group; it becomes a straggler at the pass end.
 */
export class InPassRepairQueue {
  readonly #queued = new Map<number, Set<number>>();
  readonly #maxFragments: number;
  #count = 0;

  constructor(maxFragments = 16_384) {
    this.#maxFragments = maxFragments;
  }

  /** Fragments queued. */
  get size(): number {
    return this.#count;
  }

  /** Queues the fragments entries of an interim report; whole-block entries are ignored. */
  add(entries: readonly NakEntry[]): void {
    for (const entry of entries) {
      if (entry.kind !== 'fragments') continue;
      const set = this.#queued.get(entry.block) ?? new Set<number>();
      this.#count += addMissingFragments(set, entry, this.#maxFragments - this.#count);
      if (set.size > 0) this.#queued.set(entry.block, set);
    }
  }

  /** Takes queued repairs, lowest block first, at most `budget` fragments; the rest stay queued. */
  take(budget: number): PassItem[] {
    const items: PassItem[] = [];
    if (budget <= 0 || this.#count === 0) return items;
    for (const block of [...this.#queued.keys()].sort((a, b) => a - b)) {
      if (budget <= 0) break;
      const set = this.#queued.get(block) as Set<number>;
      const fragments = [...set].sort((a, b) => a - b).slice(0, budget);
      for (const f of fragments) set.delete(f);
      if (set.size === 0) this.#queued.delete(block);
      this.#count -= fragments.length;
      budget -= fragments.length;
      items.push({ block, fragments });
    }
    return items;
  }

  /** Forgets everything queued (the pass ended: its NAK reports say what is still missing). */
  clear(): void {
    this.#queued.clear();
    this.#count = 0;
  }
}
