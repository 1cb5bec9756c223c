import assert from 'node:assert/strict';
import { test } from 'node:test';
import { debFileName, parseCandidateVersion, parseKernelDependency } from './kernel-package.js';

test('parseKernelDependency finds the versioned image package of linux-image-amd64', () => {
  assert.equal(parseKernelDependency('linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n'), 'linux-image-6.1.0-56-amd64');
  assert.equal(parseKernelDependency('linux-image-amd64\n'), null);
});

test('parseCandidateVersion reads apt-cache policy, (none) meaning no candidate', () => {
  assert.equal(parseCandidateVersion('linux-image-6.1.0-56-amd64:\n  Installed: (none)\n  Candidate: 6.1.192-2\n'), '6.1.192-2');
  assert.equal(parseCandidateVersion('firmware-bnx2:\n  Installed: (none)\n  Candidate: (none)\n'), null);
});

test('debFileName spells an epoch as apt-get download does', () => {
  assert.equal(debFileName('linux-image-6.1.0-56-amd64', '6.1.192-2'), 'linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb');
  assert.equal(debFileName('busybox-static', '1:1.35.0-4'), 'busybox-static_1%3a1.35.0-4_amd64.deb');
});
