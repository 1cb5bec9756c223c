import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressIntervalFor } from './progress-interval.js';

test('receivers report at 4 Hz in a small group and slower in a large one, never under once every 750 ms', () => {
  assert.equal(progressIntervalFor(0), 250);
  assert.equal(progressIntervalFor(1), 250);
  assert.equal(progressIntervalFor(4), 250);
  assert.equal(progressIntervalFor(8), 500);
  assert.equal(progressIntervalFor(12), 750);
  assert.equal(progressIntervalFor(16), 750);
  assert.equal(progressIntervalFor(500), 750);
});
