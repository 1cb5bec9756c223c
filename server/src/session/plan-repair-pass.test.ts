import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NakReport } from '@rackcast/wire';
import { findStragglers, lossRate, median, planRepairPass, withinBlocks } from './plan-repair-pass.js';

function bitmap(count: number, missing: readonly number[]): Uint8Array {
  const b = new Uint8Array(Math.ceil(count / 8));
  for (const f of missing) b[f >> 3] = (b[f >> 3] ?? 0) | (1 << (f & 7));
  return b;
}

function report(entries: NakReport['entries'], received = 100, sent = 100): NakReport {
  return { pass: 1, complete: entries.length === 0, received, sent, entries };
}

describe('planRepairPass', () => {
  test('a fragment two receivers miss is sent once; whole blocks win over fragments', () => {
    const a = report([{ kind: 'fragments', block: 3, fragmentCount: 10, bitmap: bitmap(10, [1, 4]) }, { kind: 'blocks', first: 7, count: 2 }]);
    const b = report([{ kind: 'fragments', block: 3, fragmentCount: 10, bitmap: bitmap(10, [4, 9]) }, { kind: 'fragments', block: 7, fragmentCount: 10, bitmap: bitmap(10, [0]) }]);
    assert.deepEqual(planRepairPass([a, b]), [{ block: 3, fragments: [1, 4, 9] }, { block: 7 }, { block: 8 }]);
  });

  test('complete receivers and empty reports plan nothing', () => {
    assert.deepEqual(planRepairPass([report([]), report([])]), []);
    assert.deepEqual(planRepairPass([]), []);
  });

  test('bits past the fragment count are ignored', () => {
    const r = report([{ kind: 'fragments', block: 0, fragmentCount: 3, bitmap: Uint8Array.of(0b1111_1010) }]);
    assert.deepEqual(planRepairPass([r]), [{ block: 0, fragments: [1] }]);
  });
});

describe('straggler detection', () => {
  const policy = { minLoss: 0.25, factor: 3 };

  test('one receiver far behind the others is a straggler, even among two', () => {
    assert.deepEqual([...findStragglers(new Map([['a', 0.9], ['b', 0.01]]), policy)], ['a']);
    assert.deepEqual([...findStragglers(new Map([['a', 0.02], ['b', 0.6], ['c', 0.03], ['d', 0.01]]), policy)], ['b']);
  });

  test('uniform loss (congestion) makes nobody a straggler', () => {
    assert.equal(findStragglers(new Map([['a', 0.3], ['b', 0.35], ['c', 0.32]]), policy).size, 0);
    assert.equal(findStragglers(new Map([['a', 0.05], ['b', 0.05]]), policy).size, 0);
  });

  test('a single receiver is never a straggler: there is no group to protect', () => {
    assert.equal(findStragglers(new Map([['a', 0.95]]), policy).size, 0);
  });

  test('loss rate and median', () => {
    assert.ok(Math.abs(lossRate({ received: 90, sent: 100 }) - 0.1) < 1e-12);
    assert.equal(lossRate({ received: 0, sent: 0 }), 0);
    assert.equal(lossRate({ received: 120, sent: 100 }), 0, 'duplicates never make loss negative');
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(median([]), 0);
  });
});

describe('withinBlocks', () => {
  test('entries past the last block are dropped, a run crossing it is cut, the rest kept as they are', () => {
    const r = report([{ kind: 'blocks', first: 2, count: 3 }, { kind: 'fragments', block: 9, fragmentCount: 4, bitmap: bitmap(4, [1]) }, { kind: 'blocks', first: 10, count: 5 }, { kind: 'fragments', block: 12, fragmentCount: 4, bitmap: bitmap(4, [0]) }]);
    assert.deepEqual(withinBlocks(r, 12).entries, [{ kind: 'blocks', first: 2, count: 3 }, { kind: 'fragments', block: 9, fragmentCount: 4, bitmap: bitmap(4, [1]) }, { kind: 'blocks', first: 10, count: 2 }]);
    assert.deepEqual(withinBlocks(r, 2).entries, []);
    assert.equal(withinBlocks(r, 100), r, 'a report inside the session is returned unchanged');
  });
});
