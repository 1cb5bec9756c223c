import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateGovernor, WIRE_OVERHEAD } from './rate-governor.js';

test('an unlimited governor never waits', () => {
  const g = new RateGovernor(0);
  for (let i = 0; i < 1000; i++) assert.equal(g.take(1472), 0);
});

test('the bucket holds about burstMs of tokens, then asks to wait', () => {
  const rate = 100e6;
  const g = new RateGovernor(rate, 2);
  let sent = 0;
  let wait = 0;
  // Let the bucket fill, then spend it in a burst.
  const until = performance.now() + 10;
  while (performance.now() < until) { /* fill for 10 ms */ }
  while ((wait = g.take(1472)) === 0 && sent < 10_000) sent++;
  const burstBits = sent * (1472 + WIRE_OVERHEAD) * 8;
  assert.ok(burstBits <= rate * 0.002 * 1.2 + 12_000, `burst of ${burstBits} bits stays within about 2 ms of the rate`);
  assert.ok(wait >= 1, 'an empty bucket asks for at least a millisecond');
});

test('a segmented send counts every datagram\'s headers; one larger than the bucket goes when it is full, and its debt is paid by waiting', () => {
  const rate = 10e6; // a 2 ms bucket: 20,000 bits, 2,500 bytes
  const g = new RateGovernor(rate, 2);
  assert.equal(g.burstBytes, 2500);
  assert.equal(new RateGovernor(0).burstBytes, Infinity);
  const until = performance.now() + 5;
  while (performance.now() < until) { /* fill the bucket */ }
  // 44 datagrams, 64,768 bytes: 26 times the bucket. It must not wait forever.
  assert.equal(g.take(44 * 1472, 44), 0);
  const debtMs = ((44 * (1472 + WIRE_OVERHEAD) * 8 - 20_000) / rate) * 1000;
  const wait = g.take(100);
  assert.ok(wait >= debtMs - 1 && wait <= debtMs + 3, `the next send waits out the debt (${wait} ms, debt ${debtMs.toFixed(1)} ms)`);
});

test('widespread loss lowers the rate by a quarter; clean passes grow it back to the ceiling', () => {
  const g = new RateGovernor(1e9);
  g.adjust(0.2);
  assert.equal(g.rateBps, 0.75e9);
  g.adjust(0.2);
  assert.equal(g.rateBps, 0.5625e9);
  g.adjust(0);
  assert.equal(g.rateBps, 0.5625e9, 'one clean pass is not enough');
  for (let i = 0; i < 20; i++) g.adjust(0.01);
  assert.equal(g.rateBps, 1e9, 'never above the ceiling');
});
