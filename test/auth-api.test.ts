import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import {
  loadConfig, openStore, SCRYPT_PARAMS, SERVER_STATE_FILE, silentLogger, startServer, verifyPassword,
  type AuditEntry, type RackcastConfig, type RunningServer,
} from '@rackcast/server';
import { apiAuth, localAdminHeaders, type RoleHeaders } from './helpers/api-auth.js';
import { parseJson, runCli } from './helpers/rackcast-cli.js';
import { writeSyntheticDisk } from './helpers/synthetic-disk.js';
import { tempDir } from './helpers/temp-dir.js';

const MiB = 1024 * 1024;
const PASSWORD = 'correct horse battery';

interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown>;
  readonly headers: Headers;
}

const codeOf = (a: Answer) => (a.json['error'] as { code?: string } | undefined)?.code;

/**
 * Every technician route with a body that is invalid (or harmless) for it, so a permitted call
 * changes nothing: [method, path, body, role the policy asks for].
 */
const ROUTES: ReadonlyArray<readonly [string, string, unknown, 'viewer' | 'operator' | 'admin']> = [
  ['GET', '/api/images', undefined, 'viewer'],
  ['GET', '/api/images/none', undefined, 'viewer'],
  ['DELETE', '/api/images/none', undefined, 'operator'],
  ['GET', '/api/images/none/versions', undefined, 'viewer'],
  ['POST', '/api/images/none/versions', { nofile: 1 }, 'operator'],
  ['GET', '/api/images/none/versions/1', undefined, 'viewer'],
  ['DELETE', '/api/images/none/versions/1', undefined, 'operator'],
  ['POST', '/api/images/none/versions/1/export', { noout: 1 }, 'operator'],
  ['POST', '/api/store/verify', undefined, 'operator'],
  ['POST', '/api/store/gc', undefined, 'operator'],
  ['GET', '/api/captures', undefined, 'viewer'],
  ['POST', '/api/captures', { noimage: 1 }, 'operator'],
  ['GET', '/api/captures/999', undefined, 'viewer'],
  ['DELETE', '/api/captures/999', undefined, 'operator'],
  ['GET', '/api/sessions', undefined, 'viewer'],
  ['POST', '/api/sessions', { noimage: 1 }, 'operator'],
  ['GET', '/api/sessions/999', undefined, 'viewer'],
  ['GET', '/api/sessions/999/events', undefined, 'viewer'],
  ['DELETE', '/api/sessions/999', undefined, 'operator'],
  ['POST', '/api/sessions/999/tokens', { count: 0 }, 'operator'],
  ['POST', '/api/deploys', { noimage: 1 }, 'operator'],
  ['GET', '/api/machines', undefined, 'viewer'],
  ['GET', '/api/machines/52:54:00:00:00:99', undefined, 'viewer'],
  ['PUT', '/api/machines/52:54:00:00:00:99/job', { action: 'format' }, 'operator'],
  ['POST', '/api/machines/52:54:00:00:00:99/capture', { noimage: 1 }, 'operator'],
  ['GET', '/api/restores', undefined, 'viewer'],
  ['GET', '/api/restores/999', undefined, 'viewer'],
  ['POST', '/api/restores', { nothing: 1 }, 'operator'],
  ['GET', '/metrics', undefined, 'viewer'],
  ['GET', '/api/users', undefined, 'admin'],
  ['POST', '/api/users', { name: 'x' }, 'admin'],
  ['PUT', '/api/users/nobody', { colour: 'red' }, 'admin'],
  ['DELETE', '/api/users/nobody', undefined, 'admin'],
  ['GET', '/api/tokens', undefined, 'admin'],
  ['POST', '/api/tokens', { name: 'x', role: 'root' }, 'admin'],
  ['DELETE', '/api/tokens/nothing', undefined, 'admin'],
  ['GET', '/api/audit?limit=1', undefined, 'admin'],
  ['GET', '/api/auth/me', undefined, 'viewer'],
];

describe('accounts, roles, tokens and the audit log over HTTP', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let config: Readonly<RackcastConfig>;
  let server: RunningServer | null = null;
  let as: RoleHeaders;

  async function api(method: string, path: string, body?: unknown, headers: Readonly<Record<string, string>> = {}): Promise<Answer> {
    if (!server) throw new Error('server stopped');
    const init: RequestInit = { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
    const res = await fetch(`${server.url}${path}`, init);
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = { text };
    }
    return { status: res.status, json, headers: res.headers };
  }

  async function login(username: string, password: string): Promise<{ answer: Answer; cookie: string }> {
    const answer = await api('POST', '/api/auth/login', { username, password });
    const cookie = (answer.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    return { answer, cookie };
  }

  async function auditEntries(limit = 50): Promise<AuditEntry[]> {
    return (await api('GET', `/api/audit?limit=${limit}`, undefined, as.admin)).json['entries'] as AuditEntry[];
  }

  before(async () => {
    dir = await tempDir('auth-api');
    config = loadConfig(undefined, { RACKCAST_STORE_DIR: join(dir.path, 'store'), RACKCAST_HTTP_PORT: '0' });
    server = await startServer(config, silentLogger());
    as = await apiAuth(server);
  });
  after(async () => {
    await server?.stop();
    await dir.remove();
  });

  test('every technician route refuses a request without credentials (401), and bogus ones too', async () => {
    for (const [method, path, body] of [...ROUTES, ['GET', '/api/no-such-route', undefined] as const]) {
      const anonymous = await api(method, path, body);
      assert.deepEqual([anonymous.status, codeOf(anonymous)], [401, 'RC_ERR_UNAUTHENTICATED'], `${method} ${path}`);
      const bogus = await api(method, path, body, { authorization: 'Bearer rct_not-a-token' });
      assert.equal(bogus.status, 401, `${method} ${path} with a made-up token`);
      const badCookie = await api(method, path, body, { cookie: 'rackcast_session=forged' });
      assert.equal(badCookie.status, 401, `${method} ${path} with a forged cookie`);
    }
    const message = (await api('GET', '/api/images')).json['error'] as { message: string };
    assert.match(message.message, /Authorization: Bearer/);
  });

  test('spelling tricks do not reach a route without credentials', async () => {
    for (const path of ['/API/users', '//api/users', '/api//users', '/api/%75sers', '/api/Users/', '/api/agent/../users', '/api/health/../images']) {
      const res = await api('GET', path);
      assert.ok(res.status === 401 || res.status === 404, `${path}: ${res.status}`);
      assert.ok(!Array.isArray(res.json['users']) && !Array.isArray(res.json['images']), `${path} leaked a list`);
    }
  });

  test('a role below the route\'s is refused with 403 naming both roles; a viewer cannot start a deploy', async () => {
    const deploy = await api('POST', '/api/deploys', { image: 'golden', count: 1 }, as.viewer);
    assert.deepEqual([deploy.status, codeOf(deploy)], [403, 'RC_ERR_FORBIDDEN']);
    assert.match((deploy.json['error'] as { message: string }).message, /needs the operator role; token:test-viewer holds viewer/);
    for (const [method, path, body, needed] of ROUTES) {
      const below = needed === 'admin' ? ['viewer', 'operator'] as const : needed === 'operator' ? ['viewer'] as const : [];
      for (const role of below) {
        const res = await api(method, path, body, as[role]);
        assert.deepEqual([res.status, codeOf(res)], [403, 'RC_ERR_FORBIDDEN'], `${role}: ${method} ${path}`);
      }
    }
  });

  test('the right role gets through (no 401 or 403), and invalid bodies are 400 with a stable code', async () => {
    for (const [method, path, body, needed] of ROUTES) {
      const res = await api(method, path, body, as[needed]);
      assert.ok(res.status !== 401 && res.status !== 403, `${needed}: ${method} ${path} answered ${res.status} ${JSON.stringify(res.json)}`);
      if (body !== undefined && path !== '/api/tokens/nothing') assert.deepEqual([res.status, codeOf(res)], [400, 'RC_ERR_BAD_REQUEST'], `${method} ${path}`);
      if (needed !== 'admin') assert.ok((await api(method, path, body, as.admin)).status !== 403, `admin may ${method} ${path}`);
    }
    assert.deepEqual([(await api('GET', '/api/audit?limit=0', undefined, as.admin)).status], [400]);
    const weak = await api('POST', '/api/users', { name: 'weak', password: 'short', role: 'viewer' }, as.admin);
    assert.deepEqual([weak.status, codeOf(weak)], [400, 'RC_ERR_BAD_REQUEST']);
    assert.match((weak.json['error'] as { message: string }).message, /at least 10 characters/);
    const me = await api('GET', '/api/auth/me', undefined, as.operator);
    assert.deepEqual(me.json, { user: { name: 'token:test-operator', role: 'operator' }, via: 'token' });
  });

  test('the dashboard socket needs credentials: 401 before upgrading without, open with a token or a login cookie', async () => {
    const ws = (headers: Record<string, string>, query = '') => new Promise<number | 'open'>((resolve) => {
      const socket = new WebSocket(`${server?.url.replace('http:', 'ws:')}/api/events${query}`, { headers });
      const timer = setTimeout(() => { socket.terminate(); resolve(0); }, 10_000);
      socket.once('open', () => { clearTimeout(timer); socket.close(); resolve('open'); });
      socket.once('unexpected-response', (_req, res) => { clearTimeout(timer); resolve(res.statusCode ?? 0); socket.terminate(); });
      socket.once('error', () => undefined);
    });
    assert.equal(await ws({}), 401);
    assert.equal(await ws({ authorization: 'Bearer rct_forged' }), 401);
    assert.equal(await ws(as.viewer), 'open');
    assert.equal(await ws({}, `?access_token=${encodeURIComponent((as.viewer.authorization ?? '').slice(7))}`), 'open');
    await api('POST', '/api/users', { name: 'watcher', password: PASSWORD, role: 'viewer' }, as.admin);
    assert.equal(await ws({ cookie: (await login('watcher', PASSWORD)).cookie }), 'open');
    assert.ok((await auditEntries()).some((e) => e.action === 'GET /api/events' && e.status === 401), 'the refused upgrade is audited');
  });

  test('login: a cookie for the browser, same answer for a wrong password and an unknown user, both audited', async () => {
    const made = await api('POST', '/api/users', { name: 'root', password: PASSWORD, role: 'admin' }, as.admin);
    assert.equal(made.status, 201);
    assert.deepEqual(made.json['user'] && (made.json['user'] as { name: string; role: string }).role, 'admin');
    assert.ok(!JSON.stringify(made.json).includes(PASSWORD) && !JSON.stringify(made.json).includes('scrypt'), 'no password or hash in the answer');
    const wrong = await login('root', 'not the password');
    const unknown = await login('nobody', PASSWORD);
    for (const answer of [wrong.answer, unknown.answer]) {
      assert.deepEqual([answer.status, codeOf(answer), (answer.json['error'] as { message: string }).message], [401, 'RC_ERR_AUTH_FAILED', 'wrong user name or password']);
      assert.equal(answer.headers.get('set-cookie'), null);
    }
    const ok = await login('root', PASSWORD);
    assert.deepEqual(ok.answer.json, { user: { name: 'root', role: 'admin' } });
    const setCookie = ok.answer.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^rackcast_session=[A-Za-z0-9_-]{40,};/);
    for (const flag of ['HttpOnly', 'SameSite=Strict', 'Path=/']) assert.ok(setCookie.includes(flag), flag);
    assert.deepEqual((await api('GET', '/api/auth/me', undefined, { cookie: ok.cookie })).json, { user: { name: 'root', role: 'admin' }, via: 'session' });
    assert.equal((await api('GET', '/api/users', undefined, { cookie: ok.cookie })).status, 200);
    const out = await api('POST', '/api/auth/logout', undefined, { cookie: ok.cookie });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^rackcast_session=;.*Max-Age=0/);
    assert.equal((await api('GET', '/api/auth/me', undefined, { cookie: ok.cookie })).status, 401, 'the session is gone after logout');
    const entries = await auditEntries();
    const logins = entries.filter((e) => e.target === '/api/auth/login');
    assert.ok(logins.some((e) => e.actor === 'root' && e.status === 401 && e.ip !== ''), 'wrong password audited');
    assert.ok(logins.some((e) => e.actor === 'nobody' && e.status === 401), 'unknown user audited');
    assert.ok(logins.some((e) => e.actor === 'root' && e.status === 200 && e.via === 'session'), 'success audited');
  });

  test('changes, 401s and 403s go to the audit log with actor, role and status, newest first', async () => {
    await api('DELETE', '/api/images/none', undefined, as.operator);
    await api('POST', '/api/deploys', { image: 'x' }, as.viewer);
    await api('GET', '/api/machines');
    const entries = await auditEntries(3);
    assert.equal(entries.length, 3);
    assert.deepEqual(entries.map((e) => [e.actor, e.role, e.action, e.status]), [
      ['-', null, 'GET /api/machines', 401],
      ['token:test-viewer', 'viewer', 'POST /api/deploys', 403],
      ['token:test-operator', 'operator', 'DELETE /api/images', 404],
    ]);
    assert.equal(entries[2]?.target, '/api/images/none');
    assert.ok(Date.parse(entries[0]?.at ?? '') >= Date.parse(entries[2]?.at ?? ''));
  });

  test('tokens: secret shown once, only its hash kept; a token never acts above its creator\'s current role', async () => {
    await api('POST', '/api/users', { name: 'alice', password: PASSWORD, role: 'admin' }, as.admin);
    const alice = (await login('alice', PASSWORD)).cookie;
    const made = await api('POST', '/api/tokens', { name: 'alice-ci', role: 'admin' }, { cookie: alice });
    assert.equal(made.status, 201);
    const audited = (await auditEntries()).find((e) => e.actor === 'alice' && e.status === 201);
    assert.deepEqual([audited?.action, audited?.target], ['POST /api/tokens', '/api/tokens'], 'the audit log names the full path under a mounted router');
    const token = made.json['token'] as { id: string; name: string; role: string; createdBy: string; createdAt: string };
    const secret = String(made.json['secret']);
    assert.deepEqual([token.name, token.role, token.createdBy], ['alice-ci', 'admin', 'alice']);
    const listed = (await api('GET', '/api/tokens', undefined, as.admin)).json['tokens'] as Record<string, unknown>[];
    assert.ok(listed.some((t) => t['id'] === token.id) && !JSON.stringify(listed).includes(secret), 'listed without the secret');
    const bearer = { authorization: `Bearer ${secret}` };
    assert.equal((await api('GET', '/api/users', undefined, bearer)).status, 200);
    // Alice is demoted: her token drops to her role with her.
    assert.equal((await api('PUT', '/api/users/alice', { role: 'viewer' }, as.admin)).status, 200);
    assert.deepEqual((await api('GET', '/api/auth/me', undefined, bearer)).json, { user: { name: 'token:alice-ci', role: 'viewer' }, via: 'token' });
    const capped = await api('POST', '/api/deploys', { image: 'x' }, bearer);
    assert.deepEqual([capped.status, codeOf(capped)], [403, 'RC_ERR_FORBIDDEN']);
    assert.equal((await api('GET', '/api/auth/me', undefined, { cookie: alice })).json['user'] && ((await api('GET', '/api/auth/me', undefined, { cookie: alice })).json['user'] as { role: string }).role, 'viewer', 'her login session follows the new role');
    // Removed: her token and session stop working.
    assert.equal((await api('DELETE', '/api/users/alice', undefined, as.admin)).status, 200);
    assert.equal((await api('GET', '/api/images', undefined, bearer)).status, 401);
    assert.equal((await api('GET', '/api/images', undefined, { cookie: alice })).status, 401);
    // Revoking a token takes effect at once.
    const ci = await api('POST', '/api/tokens', { name: 'ci', role: 'viewer' }, as.admin);
    const ciBearer = { authorization: `Bearer ${String(ci.json['secret'])}` };
    assert.equal((await api('GET', '/api/images', undefined, ciBearer)).status, 200);
    assert.equal((await api('DELETE', `/api/tokens/${(ci.json['token'] as { id: string }).id}`, undefined, as.admin)).status, 200);
    assert.equal((await api('GET', '/api/images', undefined, ciBearer)).status, 401);
  });

  test('the last admin can be neither removed nor demoted', async () => {
    const users = (await api('GET', '/api/users', undefined, as.admin)).json['users'] as { name: string; role: string }[];
    const admins = users.filter((u) => u.role === 'admin').map((u) => u.name);
    assert.deepEqual(admins, ['root']);
    const rm = await api('DELETE', '/api/users/root', undefined, as.admin);
    assert.deepEqual([rm.status, codeOf(rm)], [409, 'RC_ERR_LAST_ADMIN']);
    const demote = await api('PUT', '/api/users/root', { role: 'operator' }, as.admin);
    assert.deepEqual([demote.status, codeOf(demote)], [409, 'RC_ERR_LAST_ADMIN']);
    await api('POST', '/api/users', { name: 'second', password: PASSWORD, role: 'admin' }, as.admin);
    assert.equal((await api('PUT', '/api/users/root', { role: 'operator' }, as.admin)).status, 200, 'with another admin it may go');
    assert.equal((await api('DELETE', '/api/users/second', undefined, as.admin)).status, 409);
    const dup = await api('POST', '/api/users', { name: 'second', password: PASSWORD, role: 'viewer' }, as.admin);
    assert.deepEqual([dup.status, codeOf(dup)], [409, 'RC_ERR_USER_EXISTS']);
  });

  test('agent routes work without an account: iPXE script, session receiver join, manifest and backfill', async () => {
    assert.equal((await api('GET', '/api/health')).status, 200);
    const script = await fetch(`${server?.url}/boot/ipxe`);
    assert.equal(script.status, 200);
    const register = await api('POST', '/api/agent/register', { bootMac: null }, { authorization: 'Bearer not-a-machine-token' });
    assert.ok(register.status !== 401 || codeOf(register) !== 'RC_ERR_UNAUTHENTICATED', 'the machine route answers for itself');
    const capture = await api('GET', '/api/captures/agent', undefined, { authorization: 'Bearer not-a-capture-token' });
    assert.equal(codeOf(capture), 'RC_ERR_CAPTURE_BAD_TOKEN');
    const disk = join(dir.path, 'disk.img');
    await writeSyntheticDisk(disk, 8 * MiB, [[MiB, 2 * MiB, 1]]);
    assert.equal((await api('POST', '/api/images/golden/versions', { file: disk }, as.operator)).status, 201);
    const created = await api('POST', '/api/sessions', { image: 'golden', expect: 1 }, as.operator);
    assert.equal(created.status, 201);
    const id = (created.json['session'] as { id: number }).id;
    const receiver = { authorization: `Bearer ${(created.json['tokens'] as string[])[0]}` };
    try {
      const join = await api('POST', `/api/sessions/${id}/receivers`, undefined, receiver);
      assert.equal(join.status, 201, JSON.stringify(join.json));
      assert.equal(join.json['progressIntervalMs'], 250, 'a receiver of a small group reports progress at 4 Hz');
      assert.equal((await fetch(`${server?.url}/api/sessions/${id}/manifest`, { headers: receiver })).status, 200);
      assert.equal((await fetch(`${server?.url}/api/sessions/${id}/blocks/0`, { headers: receiver })).status, 200);
      assert.equal((await api('GET', `/api/sessions/${id}`)).status, 401, 'the operator view of the same session is not public');
      assert.equal((await api('GET', `/api/sessions/${id}`, undefined, receiver)).status, 401, 'a receiver token is no account');
    } finally {
      await api('DELETE', `/api/sessions/${id}`, undefined, as.operator);
    }
  });

  test('repeated failed logins from one address are limited (429), even with the right password then', async () => {
    let limitedAt = 0;
    for (let i = 1; i <= 12 && limitedAt === 0; i++) {
      const { answer } = await login('root', `wrong password ${i}`);
      if (answer.status === 429) limitedAt = i;
      else assert.equal(answer.status, 401);
    }
    assert.ok(limitedAt > 0 && limitedAt <= 11, `limited after ${limitedAt} tries`);
    const right = await login('root', PASSWORD);
    assert.deepEqual([right.answer.status, codeOf(right.answer)], [429, 'RC_ERR_AUTH_RATE_LIMITED']);
    assert.ok(Number(right.answer.headers.get('retry-after')) > 0);
    assert.ok((await auditEntries(5)).some((e) => e.target === '/api/auth/login' && e.status === 429));
  });

  test('the state file holding the local credential is owner-only; passwords are stored as scrypt hashes', async () => {
    const mode = (await stat(join(config.store.dir, SERVER_STATE_FILE))).mode & 0o777;
    assert.equal(mode, 0o600);
    const local = await localAdminHeaders(config.store.dir);
    assert.deepEqual((await api('GET', '/api/auth/me', undefined, local)).json, { user: { name: 'local-cli', role: 'admin' }, via: 'local' });
    await server?.stop();
    server = null;
    const store = await openStore(config, silentLogger());
    try {
      const root = await store.stateArea<{ name: string; passwordHash: string }>('account-user').get('root');
      assert.ok(root, 'root is in LevelDB');
      assert.ok(!root.passwordHash.includes(PASSWORD));
      assert.match(root.passwordHash, new RegExp(`^scrypt\\$${SCRYPT_PARAMS.N}\\$${SCRYPT_PARAMS.r}\\$${SCRYPT_PARAMS.p}\\$[A-Za-z0-9+/=]{24}\\$[A-Za-z0-9+/=]{44}$`));
      assert.equal(await verifyPassword(PASSWORD, root.passwordHash), true);
      assert.equal(await verifyPassword('correct horse battery!', root.passwordHash), false);
      const tokens = await store.stateArea<Record<string, unknown>>('account-token').values();
      assert.ok(tokens.length >= 3 && tokens.every((t) => /^[0-9a-f]{64}$/.test(String(t['hash'])) && !('secret' in t)));
    } finally {
      await store.close();
    }
  });
});

const CLI = fileURLToPath(new URL('../../server/bin/rackcast.js', import.meta.url));

/** Runs the CLI with `input` on stdin (for --password-stdin); bounded in time. */
function runWithInput(args: readonly string[], env: Record<string, string>, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`rackcast ${args.join(' ')} timed out`)); }, 60_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(input);
  });
}

describe('the CLI over URL and token', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let child: ChildProcess | null = null;
  let url = '';
  let local: Record<string, string>;

  before(async () => {
    dir = await tempDir('auth-cli');
    local = { RACKCAST_STORE_DIR: join(dir.path, 'store') };
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await dir.remove();
  });

  test('the first admin is made with the server stopped, by opening the store; no default password exists', async () => {
    const made = await runWithInput(['user', 'add', 'first', '--role', 'admin', '--password-stdin', '--json'], local, `${PASSWORD}\n`);
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual((parseJson<{ user: { name: string; role: string } }>(made)).user.role, 'admin');
    const short = await runWithInput(['user', 'add', 'weak', '--role', 'viewer', '--password-stdin'], local, 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /RC_ERR_BAD_REQUEST: the password is too short: use at least 10 characters/);
  });

  test('with the server running: user add, token create, then image list and a refused session start with a viewer token', async () => {
    child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, ...local, RACKCAST_HTTP_PORT: '0', RACKCAST_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no URL within 30 s')), 30_000);
      let out = '';
      child?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m?.[1]) { clearTimeout(timer); resolve(m[1]); }
      });
    });
    const second = await runWithInput(['user', 'add', 'second', '--role', 'operator', '--password-stdin', '--json'], local, `${PASSWORD}\n`);
    assert.equal(second.code, 0, second.stderr);
    const users = parseJson<{ users: { name: string; role: string }[] }>(await runCli(['user', 'list', '--json'], local));
    assert.deepEqual(users.users.map((u) => [u.name, u.role]), [['first', 'admin'], ['second', 'operator']]);
    const disk = join(dir.path, 'disk.img');
    await writeSyntheticDisk(disk, 8 * MiB, [[MiB, MiB, 3]]);
    assert.equal((await runCli(['image', 'import', disk, '--name', 'golden'], local)).code, 0);
    const created = parseJson<{ token: { role: string; createdBy: string }; secret: string }>(await runCli(['token', 'create', 'ci', '--role', 'viewer', '--json'], local));
    assert.deepEqual([created.token.role, created.token.createdBy], ['viewer', 'local-cli']);
    // Elsewhere: another machine's CLI has only the URL and the token (its store folder is empty).
    const remote = { RACKCAST_STORE_DIR: join(dir.path, 'elsewhere'), RACKCAST_URL: url, RACKCAST_TOKEN: created.secret };
    const listed = await runCli(['image', 'list', '--json'], remote);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(parseJson<{ name: string }[]>(listed).map((i) => i.name), ['golden']);
    const start = await runCli(['session', 'start', 'golden', '--expect', '1', '--json'], remote);
    assert.equal(start.code, 1);
    assert.match(start.stderr, /RC_ERR_FORBIDDEN: POST \/api\/sessions needs the operator role; token:ci holds viewer/);
    const noToken = await runCli(['image', 'list', '--json'], { RACKCAST_STORE_DIR: join(dir.path, 'elsewhere'), RACKCAST_URL: url });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /RC_ERR_UNAUTHENTICATED/);
    const audit = parseJson<{ entries: AuditEntry[] }>(await runCli(['audit', '--limit', '10', '--json'], local));
    assert.ok(audit.entries.some((e) => e.actor === 'token:ci' && e.action === 'POST /api/sessions' && e.status === 403));
    assert.ok(audit.entries.some((e) => e.actor === 'local-cli' && e.action === 'POST /api/users' && e.status === 201));
  });
});
