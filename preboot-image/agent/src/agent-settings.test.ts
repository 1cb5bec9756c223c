import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKernelCommandLine } from './agent-settings.js';

test('reads rackcast.* parameters and ignores the kernel\'s own', () => {
  const s = parseKernelCommandLine('BOOT_IMAGE=vmlinuz console=ttyS0,115200 rackcast.server=http://10.0.0.1:8080 rackcast.token=abc123 quiet\n');
  assert.equal(s.server, 'http://10.0.0.1:8080');
  assert.equal(s.token, 'abc123');
  assert.deepEqual(s.extra, {});
});

test('quoted values and unknown rackcast parameters are kept', () => {
  const s = parseKernelCommandLine('rackcast.note="two words" rackcast.session=7');
  assert.equal(s.server, null);
  assert.deepEqual(s.extra, { note: 'two words', session: '7' });
});

test('a parameter that only ends in rackcast.x is not read', () => {
  const s = parseKernelCommandLine('notrackcast.server=http://evil');
  assert.equal(s.server, null);
});
