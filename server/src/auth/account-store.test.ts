import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hasCode } from '../errors.js';
import { silentLogger } from '../log.js';
import { ImageStore } from '../store/index.js';
import { AccountStore, LOCAL_ACTOR } from './account-store.js';
import { AuditLog } from './audit-log.js';
import { FailureLimiter } from './failure-limiter.js';
import { LoginSessions, readCookie } from './login-sessions.js';
import type { Principal } from './roles.js';

const PASSWORD = 'a long enough password';
const local: Principal = { name: LOCAL_ACTOR, role: 'admin', via: 'local', account: LOCAL_ACTOR };

describe('account store on LevelDB', () => {
  let dir: string;
  let store: ImageStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rackcast-accounts-'));
    store = await ImageStore.open({ dir, blockSize: 65536, keepVersions: 0, log: silentLogger() });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a token cannot be given more than its creator holds', async () => {
    const accounts = await AccountStore.open(store);
    await accounts.addUser('op', PASSWORD, 'operator');
    const op = accounts.principalForUser('op');
    assert.ok(op);
    await assert.rejects(accounts.createToken(op, 'too-much', 'admin'), (err) => hasCode(err, 'RC_ERR_FORBIDDEN') && /you hold operator/.test((err as Error).message));
    const { token, secret } = await accounts.createToken(op, 'ok', 'viewer');
    assert.deepEqual([token.role, token.createdBy], ['viewer', 'op']);
    assert.deepEqual(accounts.principalForToken(secret), { name: 'token:ok', role: 'viewer', via: 'token', account: 'op' });
    assert.equal(accounts.principalForToken(`${secret}x`), null);
    const byLocal = await accounts.createToken(local, 'script', 'admin');
    assert.equal(accounts.principalForToken(byLocal.secret)?.role, 'admin', 'the local CLI is always admin');
  });

  test('accounts and tokens survive a reopen; names and passwords are checked', async () => {
    const accounts = await AccountStore.open(store);
    assert.deepEqual(accounts.listUsers().map((u) => u.name), ['op']);
    assert.equal(accounts.listTokens().length, 2);
    await assert.rejects(accounts.addUser('bad name', PASSWORD, 'viewer'), (err) => hasCode(err, 'RC_ERR_BAD_REQUEST'));
    await assert.rejects(accounts.addUser(LOCAL_ACTOR, PASSWORD, 'viewer'), (err) => hasCode(err, 'RC_ERR_BAD_REQUEST'));
    await assert.rejects(accounts.addUser('short', '123456789', 'viewer'), (err) => hasCode(err, 'RC_ERR_BAD_REQUEST'));
    assert.equal(await accounts.checkLogin('op', PASSWORD).then((u) => u?.role), 'operator');
    assert.equal(await accounts.checkLogin('op', 'wrong password'), null);
    assert.equal(await accounts.checkLogin('ghost', PASSWORD), null);
  });

  test('two admins removed at once: one stays', async () => {
    const accounts = await AccountStore.open(store);
    await accounts.addUser('a1', PASSWORD, 'admin');
    await accounts.addUser('a2', PASSWORD, 'admin');
    const results = await Promise.allSettled([accounts.removeUser('a1'), accounts.removeUser('a2')]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    assert.equal(accounts.listUsers().filter((u) => u.role === 'admin').length, 1);
  });

  test('the audit log reads newest first, also entries written in the same millisecond', async () => {
    const audit = await AuditLog.open(store);
    const at = new Date().toISOString();
    for (let i = 0; i < 5; i++) {
      await audit.append({ at, actor: `u${i}`, via: 'token', role: 'viewer', action: 'POST /api/x', target: '/api/x', status: 200, ip: '127.0.0.1' });
    }
    assert.deepEqual((await audit.newest(3)).map((e) => e.actor), ['u4', 'u3', 'u2']);
  });
});

test('login sessions expire and end; cookies are read by name', () => {
  let now = 1000;
  const sessions = new LoginSessions(60_000, () => now);
  const id = sessions.create('alice');
  assert.equal(sessions.user(id), 'alice');
  now += 60_000;
  assert.equal(sessions.user(id), null);
  const again = sessions.create('alice');
  sessions.end(again);
  assert.equal(sessions.user(again), null);
  assert.equal(readCookie('a=1; rackcast_session=xyz; b=2', 'rackcast_session'), 'xyz');
  assert.equal(readCookie('xrackcast_session=1', 'rackcast_session'), null);
});

test('failed logins are limited per source within the window', () => {
  let now = 0;
  const limiter = new FailureLimiter({ max: 3, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 3; i++) limiter.fail('10.0.0.1');
  assert.ok(limiter.retryAfterSeconds('10.0.0.1') > 0);
  assert.equal(limiter.retryAfterSeconds('10.0.0.2'), 0, 'another address is not affected');
  now += 60_001;
  assert.equal(limiter.retryAfterSeconds('10.0.0.1'), 0, 'failures age out');
});
