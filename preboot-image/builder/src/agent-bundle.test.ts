import assert from 'node:assert/strict';
import { test } from 'node:test';
import { platformPackageName } from './agent-bundle.js';

test('platformPackageName picks the glibc binary package, not musl or another CPU', () => {
  const pkg = { optionalDependencies: {
    '@antoniomuso/lz4-napi-linux-x64-musl': '2.10.0',
    '@antoniomuso/lz4-napi-linux-arm64-gnu': '2.10.0',
    '@antoniomuso/lz4-napi-linux-x64-gnu': '2.10.0',
  } };
  assert.equal(platformPackageName(pkg, 'linux-x64-gnu'), '@antoniomuso/lz4-napi-linux-x64-gnu');
  assert.equal(platformPackageName(pkg, 'linux-s390x-gnu'), null);
  assert.equal(platformPackageName({}, 'linux-x64-gnu'), null);
});
