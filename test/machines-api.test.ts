import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { detectProfile } from '@rackcast/agent';
import { loadConfig, silentLogger, startServer, type MachineSummary, type RackcastConfig, type RunningServer } from '@rackcast/server';
import type { MachineProfile } from '@rackcast/wire';
import { AgentProcess, cmdlineFromScript } from './helpers/agent-process.js';
import { apiAuth } from './helpers/api-auth.js';
import { parseJson, runCli } from './helpers/rackcast-cli.js';
import { tempDir } from './helpers/temp-dir.js';

/*
 * The machine registry end to end on loopback: iPXE scripts issue one-time tokens, agents
 * register over HTTP and take jobs over the WebSocket. The agents in the later tests are real
 * `rackcast-agent boot` processes detecting this host's hardware, with power actions dry-run.
 */

const run = promisify(execFile);

interface Json { status: number; body: Record<string, unknown> }

/** A technician's credential (operator), for calls that carry no machine secret. */
let technician: Record<string, string> = {};

async function call(base: string, method: string, path: string, body?: unknown, secret?: string): Promise<Json> {
  const headers: Record<string, string> = secret === undefined ? { ...technician } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (secret !== undefined) headers['authorization'] = `Bearer ${secret}`;
  const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const code = (j: Json): string => (j.body['error'] as { code: string }).code;

async function script(base: string, mac: string): Promise<string> {
  const res = await fetch(`${base}/boot/ipxe?mac=${mac}&uuid=&platform=pcbios&buildarch=i386`);
  return res.text();
}

function tokenOf(text: string): string {
  const token = /rackcast\.token=(\S+)/.exec(text)?.[1];
  assert.ok(token, `no token in:\n${text}`);
  return token;
}

describe('machines: registration, API, CLI and a real agent', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let config: RackcastConfig;
  let server: RunningServer;
  let profile: MachineProfile;
  const agents: AgentProcess[] = [];

  before(async () => {
    dir = await tempDir('machines');
    config = loadConfig(undefined, { RACKCAST_STORE_DIR: join(dir.path, 'store'), RACKCAST_HTTP_PORT: '0' });
    server = await startServer(config, silentLogger());
    technician = { ...(await apiAuth(server)).operator };
    profile = await detectProfile({ info: null });
  });
  after(async () => {
    for (const a of agents) await a.stop();
    await server.stop();
    await dir.remove();
  });

  test('a token from the iPXE script registers once; reuse, unknown and missing tokens are refused', async () => {
    const mac = '52:54:00:00:00:01';
    const token = tokenOf(await script(server.url, mac));
    const bad = await call(server.url, 'POST', '/api/agent/register', { bootMac: mac, agentVersion: '0.1.0', profile: { ...profile, disks: 'many' } }, token);
    assert.deepEqual([bad.status, code(bad)], [400, 'RC_ERR_WIRE_INVALID']);
    assert.match((bad.body['error'] as { message: string }).message, /\(disks\)/, 'the message names the field');
    const ok = await call(server.url, 'POST', '/api/agent/register', { bootMac: mac, agentVersion: '0.1.0', profile }, token);
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.deepEqual([ok.body['mac'], ok.body['job']], [mac, { id: 1, action: 'wait' }]);
    assert.match(String(ok.body['credential']), /^[A-Za-z0-9_-]{32}$/);
    for (const secret of [token, 'a-token-this-server-never-issued', undefined]) {
      const again = await call(server.url, 'POST', '/api/agent/register', { bootMac: mac, agentVersion: '0.1.0', profile }, secret);
      assert.deepEqual([again.status, code(again)], [401, 'RC_ERR_MACHINE_BAD_TOKEN'], `secret ${secret}`);
    }
    const byCredential = await call(server.url, 'POST', '/api/agent/register', { bootMac: mac, agentVersion: '0.1.0', profile }, String(ok.body['credential']));
    assert.equal(byCredential.status, 201, 'the credential re-registers');
  });

  test('an expired token is refused', async () => {
    const shortDir = join(dir.path, 'short');
    const short = { ...config, store: { ...config.store, dir: shortDir }, boot: { ...config.boot, tokenTtlSeconds: 1 } };
    const s = await startServer(short, silentLogger());
    try {
      const token = tokenOf(await script(s.url, '52:54:00:00:00:09'));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const res = await call(s.url, 'POST', '/api/agent/register', { bootMac: null, agentVersion: '0.1.0', profile }, token);
      assert.deepEqual([res.status, code(res)], [401, 'RC_ERR_MACHINE_BAD_TOKEN']);
      assert.match((res.body['error'] as { message: string }).message, /expired/);
    } finally {
      await s.stop();
    }
  });

  test('list and show give the profile; MACs are accepted in any spelling; unknown ones are 404', async () => {
    const list = await call(server.url, 'GET', '/api/machines');
    const machines = list.body['machines'] as MachineSummary[];
    const m = machines.find((x) => x.mac === '52:54:00:00:00:01');
    assert.ok(m, JSON.stringify(machines));
    assert.deepEqual([m.state, m.profile?.memory.totalBytes, m.profile?.disks.map((d) => d.sizeBytes)], ['registered', profile.memory.totalBytes, profile.disks.map((d) => d.sizeBytes)]);
    assert.equal(Object.hasOwn(m, 'tokens') || Object.hasOwn(m, 'credentialHash'), false, 'no secrets in the API');
    const show = await call(server.url, 'GET', '/api/machines/52-54-00-00-00-01');
    assert.equal((show.body['machine'] as MachineSummary).mac, '52:54:00:00:00:01');
    const missing = await call(server.url, 'GET', '/api/machines/52:54:00:99:99:99');
    assert.deepEqual([missing.status, code(missing)], [404, 'RC_ERR_MACHINE_NOT_FOUND']);
    const malformed = await call(server.url, 'GET', '/api/machines/not-a-mac');
    assert.deepEqual([malformed.status, code(malformed)], [400, 'RC_ERR_BAD_REQUEST']);
    const badJob = await call(server.url, 'PUT', '/api/machines/52:54:00:00:00:01/job', { action: 'format' });
    assert.deepEqual([badJob.status, code(badJob)], [400, 'RC_ERR_BAD_REQUEST']);
  });

  test('a real agent registers this host\'s hardware, waits, and reboots (its injected action) when told', async () => {
    const mac = '52:54:00:00:00:02';
    const agent = await AgentProcess.start(dir.path, 'agent2', cmdlineFromScript(await script(server.url, mac), mac));
    agents.push(agent);
    await agent.waitFor(/^rackcast-agent: waiting: /);
    const m = (await call(server.url, 'GET', `/api/machines/${mac}`)).body['machine'] as MachineSummary;
    assert.deepEqual([m.state, m.online], ['waiting', true]);
    // The profile is this host's: memory as the kernel counts it, disks as lsblk sees them, NICs as sysfs names them.
    assert.equal(m.profile?.memory.totalBytes, totalmem());
    const lsblk = (await run('lsblk', ['-b', '-d', '-n', '-o', 'NAME,SIZE'])).stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    for (const d of m.profile?.disks ?? []) assert.deepEqual(lsblk.find(([name]) => name === d.name), [d.name, String(d.sizeBytes)]);
    assert.ok((m.profile?.disks.length ?? 0) > 0, 'this host has at least one disk');
    for (const n of m.profile?.nics ?? []) assert.equal(n.mac, (await readFile(`/sys/class/net/${n.name}/address`, 'utf8')).trim());
    const reboot = await call(server.url, 'PUT', `/api/machines/${mac}/job`, { action: 'reboot' });
    assert.equal((reboot.body['machine'] as MachineSummary).job.action, 'reboot');
    await agent.waitFor(/^rackcast-agent: power: reboot \(dry run\)$/);
    assert.equal(await agent.exited, 0);
    const after = (await call(server.url, 'GET', `/api/machines/${mac}`)).body['machine'] as MachineSummary;
    assert.deepEqual([after.state, after.job.action], ['rebooting', 'wait'], 'the reboot is done once; the next boot waits');
  });

  test('the CLI lists, shows and sets jobs through the running server', async () => {
    const env = { RACKCAST_STORE_DIR: config.store.dir };
    const list = parseJson<{ machines: MachineSummary[] }>(await runCli(['machine', 'list', '--json'], env));
    const m = list.machines.find((x) => x.mac === '52:54:00:00:00:02');
    assert.deepEqual([m?.profile?.memory.totalBytes, m?.profile?.disks.length], [totalmem(), profile.disks.length]);
    const table = await runCli(['machine', 'list'], env);
    assert.match(table.stdout, /^MAC +STATE +JOB/);
    assert.match(table.stdout, /52:54:00:00:00:02 +rebooting \(offline\) +wait/);
    const show = await runCli(['machine', 'show', '52-54-00-00-00-02'], env);
    assert.match(show.stdout, /^machine 52:54:00:00:00:02: rebooting; job 3: wait/);
    const job = parseJson<MachineSummary>(await runCli(['machine', 'job', '52:54:00:00:00:03', 'poweroff', '--json'], env));
    assert.deepEqual([job.state, job.job.action], ['known', 'poweroff'], 'a job for a new MAC creates its record');
    const wrong = await runCli(['machine', 'job', '52:54:00:00:00:03', 'explode'], env);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /RC_ERR_BAD_REQUEST: unknown job "explode"/);
  });

  test('after a server restart the agent reconnects, re-registers with its credential, and takes the next job', async () => {
    const mac = '52:54:00:00:00:04';
    const agent = await AgentProcess.start(dir.path, 'agent4', cmdlineFromScript(await script(server.url, mac), mac));
    agents.push(agent);
    const first = await agent.waitFor(/^rackcast-agent: waiting: /);
    const port = new URL(server.url).port;
    await server.stop();
    const lost = await agent.waitFor(/^rackcast-agent: reconnecting: /, 30_000, first);
    server = await startServer(loadConfig(undefined, { RACKCAST_STORE_DIR: config.store.dir, RACKCAST_HTTP_PORT: port }), silentLogger());
    await agent.waitFor(/^rackcast-agent: waiting: /, 60_000, lost);
    const m = (await call(server.url, 'GET', `/api/machines/${mac}`)).body['machine'] as MachineSummary;
    assert.ok(m.events.some((e) => e.event === 'register' && e.detail.startsWith('credential')), JSON.stringify(m.events));
    await call(server.url, 'PUT', `/api/machines/${mac}/job`, { action: 'poweroff' });
    await agent.waitFor(/^rackcast-agent: power: poweroff \(dry run\)$/);
    assert.equal(await agent.exited, 0);
  });

  test('an agent whose token was already used reboots by itself for a fresh one', async () => {
    const mac = '52:54:00:00:00:05';
    const text = await script(server.url, mac);
    await call(server.url, 'POST', '/api/agent/register', { bootMac: mac, agentVersion: '0.1.0', profile }, tokenOf(text));
    const agent = await AgentProcess.start(dir.path, 'agent5', cmdlineFromScript(text, mac), ['--refused-reboot-delay', '0']);
    agents.push(agent);
    await agent.waitFor(/^rackcast-agent: refused: registration refused \(RC_ERR_MACHINE_BAD_TOKEN/);
    await agent.waitFor(/^rackcast-agent: power: reboot \(dry run\)$/);
    assert.equal(await agent.exited, 0);
  });
});
