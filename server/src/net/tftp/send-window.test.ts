import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SendWindow } from './send-window.js';

describe('SendWindow', () => {
  test('block count: the last block is the first one shorter than the block size, possibly empty', () => {
    assert.equal(new SendWindow(0, 512, 1).lastBlock, 1);
    assert.equal(new SendWindow(511, 512, 1).lastBlock, 1);
    assert.equal(new SendWindow(512, 512, 1).lastBlock, 2);
    assert.equal(new SendWindow(1025, 512, 1).lastBlock, 3);
  });

  test('lock-step: each ACK moves the window by one; a duplicate ACK moves nothing (RFC 1123 §4.2.3.1)', () => {
    const w = new SendWindow(1024, 512, 1);
    assert.deepEqual([w.first, w.last], [1, 1]);
    assert.equal(w.ack(0), 'duplicate', 'ACK 0 (as after an OACK) names the block before the window');
    assert.equal(w.ack(1), 'advanced');
    assert.equal(w.ack(1), 'duplicate');
    assert.equal(w.ack(3), 'unexpected', 'never sent');
    assert.equal(w.ack(2), 'advanced');
    assert.deepEqual([w.first, w.last], [3, 3]);
    assert.equal(w.ack(3), 'complete');
    assert.equal(w.complete, true);
    assert.equal(w.ack(3), 'duplicate');
  });

  test('windowed (RFC 7440): a partial ACK restarts the window after the acknowledged block', () => {
    const w = new SendWindow(100 * 512 + 7, 512, 8);
    assert.deepEqual([w.first, w.last], [1, 8]);
    assert.equal(w.ack(5), 'advanced');
    assert.deepEqual([w.first, w.last], [6, 13]);
    assert.equal(w.ack(4), 'unexpected', 'stale: before the window');
    assert.equal(w.ack(13), 'advanced');
    assert.deepEqual([w.first, w.last], [14, 21]);
    for (let k = 21; k < 101; k += 8) w.ack(k);
    assert.deepEqual([w.first, w.last], [94, 101], 'the last window is cut at the last block');
    assert.equal(w.ack(101), 'complete');
  });

  test('block numbers roll over to 0 after 65535, and ACKs are matched across the rollover', () => {
    const blocks = 65536 * 2 + 10;
    const w = new SendWindow((blocks - 1) * 8 + 3, 8, 16);
    assert.equal(w.lastBlock, blocks);
    let acks = 0;
    while (!w.complete) {
      assert.ok(acks++ < blocks, 'bounded');
      const outcome = w.ack(w.last & 0xffff);
      assert.ok(outcome === 'advanced' || outcome === 'complete', `ack ${w.last & 0xffff}: ${outcome}`);
    }
    assert.equal(acks, Math.ceil(blocks / 16));
  });

  test('a window across the rollover: a partial ACK with a small 16-bit number lands after 65535', () => {
    const w = new SendWindow(70000 * 512, 512, 8);
    while (w.last < 65533) w.ack(w.last & 0xffff);
    assert.equal(w.first, 65529);
    assert.equal(w.last, 65536);
    assert.equal(w.ack(0), 'advanced', '16-bit 0 is block 65536 here');
    assert.equal(w.first, 65537);
    assert.equal(w.ack(65535), 'unexpected', 'now stale');
  });

  test('the largest window RFC 7440 allows still names one block per ACK', () => {
    const w = new SendWindow(200000 * 8, 8, 65535);
    assert.equal(w.ack(65535), 'advanced');
    assert.equal(w.first, 65536);
    assert.equal(w.ack(65535), 'duplicate');
    assert.equal(w.ack(65534), 'advanced', 'block 131070');
    assert.equal(w.first, 131071);
  });

  test('refuses windows RFC 7440 does not allow', () => {
    assert.throws(() => new SendWindow(1, 512, 0), RangeError);
    assert.throws(() => new SendWindow(1, 512, 65536), RangeError);
  });
});
