import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashParams, hashPassword, SCRYPT_PARAMS, verifyPassword } from './password-hash.js';

test('scrypt hashes: salted, parameters kept, verified in constant time, malformed never matches', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.notEqual(a, b, 'a fresh salt each time');
  assert.deepEqual(hashParams(a), SCRYPT_PARAMS);
  assert.equal(await verifyPassword('correct horse battery', a), true);
  assert.equal(await verifyPassword('correct horse batterY', a), false);
  for (const bad of ['', 'scrypt$1$2', 'md5$x$y$z$a$b', a.replace(/\$[^$]+$/, '$'), 'scrypt$0$8$1$AAAA$AAAA']) {
    assert.equal(await verifyPassword('correct horse battery', bad), false, bad);
  }
  const cheap = await hashPassword('correct horse battery', { N: 1024, r: 8, p: 1 });
  assert.deepEqual(hashParams(cheap), { N: 1024, r: 8, p: 1 });
  assert.equal(await verifyPassword('correct horse battery', cheap), true, 'older parameters still verify');
});
