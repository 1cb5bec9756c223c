import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GoldenImageError } from './golden-error.js';
import { DEFAULT_EPOCH, MIB, parseEpoch, parseHostname, parseMachineId, parseSize } from './options.js';

const badOption = (fn: () => unknown): void => {
  assert.throws(fn, (err: unknown) => err instanceof GoldenImageError && err.code === 'RC_ERR_GOLDEN_BAD_OPTION');
};

test('sizes take binary suffixes and must be whole MiB', () => {
  assert.equal(parseSize('512M'), 512 * MIB);
  assert.equal(parseSize('1G'), 1024 * MIB);
  assert.equal(parseSize('600MiB'), 600 * MIB);
  assert.equal(parseSize('1048576'), MIB);
  for (const bad of ['', '0M', '1.5G', '1000000', '512X', '-1M', 'M']) badOption(() => parseSize(bad));
});

test('host names are one RFC 1123 label', () => {
  assert.equal(parseHostname('golden'), 'golden');
  assert.equal(parseHostname('web-01'), 'web-01');
  for (const bad of ['', '-a', 'a-', 'a.b', 'a b', 'x'.repeat(64), 'héllo']) badOption(() => parseHostname(bad));
});

test('machine ids are 32 lower-case hex digits, not all zero', () => {
  assert.equal(parseMachineId('0123456789abcdef0123456789abcdef'), '0123456789abcdef0123456789abcdef');
  for (const bad of ['0'.repeat(32), 'A'.repeat(32), 'a'.repeat(31), 'g'.repeat(32)]) badOption(() => parseMachineId(bad));
});

test('SOURCE_DATE_EPOCH defaults to a fixed time and refuses times FAT cannot store', () => {
  assert.equal(parseEpoch(undefined), DEFAULT_EPOCH);
  assert.equal(parseEpoch(''), DEFAULT_EPOCH);
  assert.equal(parseEpoch('1600000000'), 1_600_000_000);
  for (const bad of ['0', '315532799', 'yesterday', '1e9']) badOption(() => parseEpoch(bad));
});
