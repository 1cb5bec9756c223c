import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SealedBufferPool } from './sealed-buffer-pool.js';

test('a returned buffer is lent again, with the length asked for', () => {
  const pool = new SealedBufferPool(1000, 4);
  const a = pool.take(600);
  assert.equal(a.byteLength, 600);
  pool.give(a);
  assert.equal(pool.idle, 1);
  const b = pool.take(1000);
  assert.equal(b.byteLength, 1000);
  assert.equal(b.buffer, a.buffer);
  assert.equal(pool.idle, 0);
});

test('a buffer given back twice is lent only once (no two blocks share memory)', () => {
  const pool = new SealedBufferPool(1000, 4);
  const a = pool.take(10);
  pool.give(a);
  pool.give(a);
  assert.equal(pool.idle, 1);
  const b = pool.take(10);
  const c = pool.take(10);
  assert.notEqual(b.buffer, c.buffer);
});

test('foreign buffers, oversized requests and a full pool are not kept', () => {
  const pool = new SealedBufferPool(1000, 1);
  pool.give(Buffer.alloc(1000));
  assert.equal(pool.idle, 0);
  const big = pool.take(2000);
  assert.equal(big.byteLength, 2000);
  pool.give(big);
  assert.equal(pool.idle, 0);
  const [x, y] = [pool.take(5), pool.take(5)];
  pool.give(x);
  pool.give(y);
  assert.equal(pool.idle, 1);
});
