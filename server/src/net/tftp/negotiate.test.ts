import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planTransfer } from './negotiate.js';

const limits = { maxBlockSize: 8192, maxWindowSize: 16 };

describe('planTransfer', () => {
  test('no options: RFC 1350 lock-step with 512-byte blocks and no OACK', () => {
    assert.deepEqual(planTransfer({}, limits, 1000), { blockSize: 512, windowSize: 1, timeoutSeconds: null, oack: [] });
  });

  test('every option granted as asked within the limits; tsize answered with the size', () => {
    assert.deepEqual(planTransfer({ blksize: 1468, tsize: 0, timeout: 3, windowsize: 4 }, limits, 74213), {
      blockSize: 1468, windowSize: 4, timeoutSeconds: 3,
      oack: [{ name: 'blksize', value: '1468' }, { name: 'tsize', value: '74213' }, { name: 'timeout', value: '3' }, { name: 'windowsize', value: '4' }],
    });
  });

  test('blksize and windowsize above the limits are granted at the limits', () => {
    const plan = planTransfer({ blksize: 65464, windowsize: 65535 }, limits, 1);
    assert.equal(plan.blockSize, 8192);
    assert.equal(plan.windowSize, 16);
    assert.deepEqual(plan.oack, [{ name: 'blksize', value: '8192' }, { name: 'windowsize', value: '16' }]);
  });

  test('tsize is left out when the size as sent is unknown (netascii)', () => {
    assert.deepEqual(planTransfer({ tsize: 0 }, limits, null).oack, []);
    assert.deepEqual(planTransfer({ tsize: 0, blksize: 1024 }, limits, null).oack, [{ name: 'blksize', value: '1024' }]);
  });
});
