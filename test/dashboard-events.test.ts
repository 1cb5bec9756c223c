import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { importImage, loadConfig, silentLogger, startServer, type RunningServer } from '@rackcast/server';
import { apiAuth, type RoleHeaders } from './helpers/api-auth.js';
import { ensureDashboardBuilt } from './helpers/browser.js';
import { writeSyntheticDisk } from './helpers/synthetic-disk.js';
import { tempDir } from './helpers/temp-dir.js';

/*
 * The dashboard's side of the server on loopback: the static build at `/`, and the events
 * socket at /api/events (a snapshot, then machine, session and image changes as they happen).
 */

const MIB = 2 ** 20;

interface LiveEvent {
  type: string;
  full?: boolean;
  machines?: { mac: string; job: string; state: string }[];
  sessions?: { id: number; phase: string; image: string }[];
  images?: { name: string; versionCount: number }[];
}

/** A watcher on the events socket that keeps every event and waits (bounded) for one that matches. */
class Watcher {
  readonly events: LiveEvent[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;

  constructor(url: string, headers: Record<string, string>) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on('message', (data) => this.events.push(JSON.parse(String(data)) as LiveEvent));
    this.opened = new Promise((resolve, reject) => { this.ws.once('open', () => resolve()); this.ws.once('error', reject); });
  }

  async next(match: (e: LiveEvent) => boolean, what: string, timeoutMs = 10_000): Promise<LiveEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no event with ${what} in ${timeoutMs} ms: ${JSON.stringify(this.events).slice(0, 2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

let work: Awaited<ReturnType<typeof tempDir>>;
let server: RunningServer;
let disk: string;
let as: RoleHeaders;

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, { method, headers: { ...as.operator, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

before(async () => {
  await ensureDashboardBuilt();
  work = await tempDir('dashboard');
  disk = join(work.path, 'disk.img');
  await writeSyntheticDisk(disk, 4 * MIB, [[MIB, MIB, 3]]);
  const base = loadConfig(undefined, { RACKCAST_STORE_DIR: join(work.path, 'store'), RACKCAST_HTTP_PORT: '0' });
  const config = { ...base, multicast: { ...base.multicast, interface: '127.0.0.1', groupBase: `239.${randomInt(100, 200)}.${randomInt(0, 200)}.0`, portBase: randomInt(20_000, 40_000) } };
  server = await startServer(config, silentLogger());
  as = await apiAuth(server);
  await importImage(server.store, { file: disk, name: 'base' });
});

after(async () => {
  await server?.stop();
  await work?.remove();
});

describe('dashboard: static build and events socket', () => {
  test('`/` serves the build (index never cached, hashed assets cached for good); /api stays JSON', async () => {
    const index = await call('GET', '/');
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    assert.match(html, /<div id="app"><\/div>/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, html);
    const js = await call('GET', asset);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    const missing = await call('GET', '/api/no-such-route');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'RC_ERR_NOT_FOUND');
    assert.equal((await call('GET', '/boot/files/no-such-file')).status, 404);
  });

  test('a watcher gets a snapshot, then machine, session and image changes', async () => {
    const watcher = new Watcher(`${server.url.replace('http:', 'ws:')}/api/events`, { ...as.viewer });
    await watcher.opened;
    const machines = await watcher.next((e) => e.type === 'machines' && e.full === true, 'the machine list');
    assert.deepEqual(machines.machines, []);
    await watcher.next((e) => e.type === 'sessions' && e.full === true, 'the session list');
    const images = await watcher.next((e) => e.type === 'images', 'the image list');
    assert.deepEqual(images.images?.map((i) => [i.name, i.versionCount]), [['base', 1]]);
    // The socket is read-only: what the page sends is ignored and the socket stays open.
    watcher.ws.send('{"type":"subscribe"}');

    assert.equal((await call('PUT', '/api/machines/52:54:00:aa:bb:01/job', { action: 'reboot' })).status, 200);
    const changed = await watcher.next((e) => e.type === 'machines' && e.full === false && (e.machines ?? []).some((m) => m.mac === '52:54:00:aa:bb:01'), 'the new machine');
    assert.deepEqual(changed.machines?.map((m) => [m.mac, m.job, m.state]), [['52:54:00:aa:bb:01', 'reboot', 'known']]);

    const created = await call('POST', '/api/sessions', { image: 'base', expect: 1 });
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { session: { id: number } }).session.id;
    await watcher.next((e) => e.type === 'sessions' && (e.sessions ?? []).some((s) => s.id === id && s.image === 'base'), 'the new session');
    assert.equal((await call('DELETE', `/api/sessions/${id}`)).status, 200);
    await watcher.next((e) => e.type === 'sessions' && (e.sessions ?? []).some((s) => s.id === id && s.phase === 'cancelled'), 'the cancelled session');

    assert.equal((await call('POST', '/api/images/base/versions', { file: disk })).status, 201);
    await watcher.next((e) => e.type === 'images' && (e.images ?? []).some((i) => i.name === 'base' && i.versionCount === 2), 'the second version');
    assert.equal(watcher.ws.readyState, WebSocket.OPEN);
    watcher.ws.close();
  });

  test('other WebSocket paths are still refused with 404', async () => {
    const ws = new WebSocket(`${server.url.replace('http:', 'ws:')}/api/no-such-socket`);
    const error = await new Promise<Error>((resolve) => ws.once('error', resolve));
    assert.match(error.message, /404/);
  });
});
