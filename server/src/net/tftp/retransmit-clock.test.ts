import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RetransmitClock } from './retransmit-clock.js';

const options = { initialMs: 1000, minMs: 50, maxMs: 5000 };

describe('RetransmitClock', () => {
  test('before any sample: the initial interval, doubled per timeout up to the ceiling', () => {
    const c = new RetransmitClock(options);
    assert.equal(c.timeoutMs, 1000);
    c.timedOut();
    assert.equal(c.timeoutMs, 2000);
    c.timedOut();
    c.timedOut();
    assert.equal(c.timeoutMs, 5000);
    c.progressed();
    assert.equal(c.timeoutMs, 1000);
  });

  test('LAN round trips bring the interval down to the floor', () => {
    const c = new RetransmitClock(options);
    for (let i = 0; i < 20; i++) c.sample(0.2);
    assert.equal(c.timeoutMs, 50);
    c.timedOut();
    assert.equal(c.timeoutMs, 100);
    c.sample(0.2);
    assert.equal(c.timeoutMs, 50, 'a sample ends the backoff');
  });

  test('slow, jittery round trips: SRTT + 4 RTTVAR (RFC 6298 §2)', () => {
    const c = new RetransmitClock(options);
    c.sample(100);
    assert.equal(c.timeoutMs, 300, 'first sample: SRTT = R, RTTVAR = R/2');
    c.sample(200);
    // RTTVAR = 0.75·50 + 0.25·100 = 62.5; SRTT = 0.875·100 + 0.125·200 = 112.5
    assert.equal(c.timeoutMs, 363);
  });

  test('the ceiling bounds the initial interval and the backoff', () => {
    const c = new RetransmitClock({ ...options, initialMs: 1000, maxMs: 700 });
    assert.equal(c.timeoutMs, 700);
    c.sample(0.1);
    for (let i = 0; i < 10; i++) c.timedOut();
    assert.equal(c.timeoutMs, 700);
  });
});
