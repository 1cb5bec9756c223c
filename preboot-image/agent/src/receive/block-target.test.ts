import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitDeviceNumber } from './block-target.js';

/** makedev as glibc defines it, to build the numbers the kernel reports. */
function makedev(major: number, minor: number): number {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return Number(((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n));
}

test('device numbers split like glibc, also for minors of 256 and more', () => {
  for (const [major, minor] of [[8, 0], [8, 17], [253, 3], [259, 1], [7, 256], [259, 300], [7, 1048575], [4095, 255], [4096, 5]] as const) {
    assert.deepEqual(splitDeviceNumber(makedev(major, minor)), { major, minor }, `${major}:${minor}`);
  }
});
