import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NakEntry } from '@rackcast/wire';
import { InPassRepairQueue } from './in-pass-repairs.js';

function fragments(block: number, count: number, missing: readonly number[]): NakEntry {
  const bitmap = new Uint8Array(Math.ceil(count / 8));
  for (const f of missing) bitmap[f >> 3] = (bitmap[f >> 3] ?? 0) | (1 << (f & 7));
  return { kind: 'fragments', block, fragmentCount: count, bitmap };
}

describe('InPassRepairQueue', () => {
  test('requests of several receivers merge: a fragment two of them miss is queued once', () => {
    const q = new InPassRepairQueue();
    q.add([fragments(3, 20, [1, 4]), fragments(9, 20, [0])]);
    q.add([fragments(3, 20, [4, 19])]);
    assert.equal(q.size, 4);
    assert.deepEqual(q.take(100), [{ block: 3, fragments: [1, 4, 19] }, { block: 9, fragments: [0] }]);
    assert.equal(q.size, 0);
    assert.deepEqual(q.take(100), []);
  });

  test('whole missing blocks are not repaired in-pass (they wait for the pass end)', () => {
    const q = new InPassRepairQueue();
    q.add([{ kind: 'blocks', first: 0, count: 5 }, fragments(7, 8, [2])]);
    assert.deepEqual(q.take(100), [{ block: 7, fragments: [2] }]);
  });

  test('take keeps to its budget, lowest block first, and leaves the rest queued; no budget, nothing', () => {
    const q = new InPassRepairQueue();
    q.add([fragments(8, 16, [0, 1, 2]), fragments(2, 16, [5, 6])]);
    assert.deepEqual(q.take(0), []);
    assert.deepEqual(q.take(-10), []);
    assert.deepEqual(q.take(3), [{ block: 2, fragments: [5, 6] }, { block: 8, fragments: [0] }]);
    assert.deepEqual(q.take(10), [{ block: 8, fragments: [1, 2] }]);
  });

  test('bounded: fragments past the cap are dropped, and clear forgets everything', () => {
    const q = new InPassRepairQueue(5);
    q.add([fragments(1, 16, [0, 1, 2, 3]), fragments(2, 16, [0, 1, 2])]);
    assert.equal(q.size, 5);
    assert.deepEqual(q.take(100), [{ block: 1, fragments: [0, 1, 2, 3] }, { block: 2, fragments: [0] }]);
    q.add([fragments(4, 8, [1])]);
    q.clear();
    assert.equal(q.size, 0);
    assert.deepEqual(q.take(100), []);
  });

  test('bits past the fragment count are ignored', () => {
    const q = new InPassRepairQueue();
    q.add([{ kind: 'fragments', block: 0, fragmentCount: 3, bitmap: Uint8Array.of(0b1111_1010) }]);
    assert.deepEqual(q.take(10), [{ block: 0, fragments: [1] }]);
  });
});
