import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const imageFile = (name: string): string => fileURLToPath(new URL(`../image-files/${name}`, import.meta.url));

// The scripts run under busybox ash in the image: a syntax error would only show at boot.
for (const script of ['init', 'udhcpc-hook']) {
  test(`${script} parses under busybox ash`, () => {
    const result = spawnSync('busybox', ['ash', '-n', imageFile(script)], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  });
}

test('selftest.mjs parses as an ES module', () => {
  const result = spawnSync(process.execPath, ['--check', imageFile('selftest.mjs')], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
});
