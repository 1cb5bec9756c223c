import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { importImage } from '../image/index.js';
import { silentLogger } from '../log.js';
import { ImageStore } from '../store/index.js';
import { SessionRegistry } from './session-registry.js';
import type { ReceiverChannel, SessionTimers } from './stream-session.js';

/*
 * Session records across a server restart, with a real store (LevelDB in a temp dir) and real
 * multicast sockets on loopback; receivers are fake channels (the whole stream with real
 * receivers is test/multicast.test.ts). A restart is a registry shut down and a new one opened
 * on the same store.
 */

const TIMERS: SessionTimers = { announceMs: 100, reportTimeoutMs: 200, deadAfterMs: 2000, startTimeoutMs: 500, lostGraceMs: 300 };
const DEFAULTS = { interfaceAddress: '127.0.0.1', groupBase: '239.255.91.0', portBase: 47_100, ttl: 0, datagramSize: 1472, rateBps: 0 };
const silent: ReceiverChannel = { send: () => undefined, close: () => undefined };

let dir: string;
let store: ImageStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rackcast-sessions-'));
  store = await ImageStore.open({ dir: join(dir, 'store'), blockSize: 65536, keepVersions: 0 });
  const disk = Buffer.alloc(1024 * 1024);
  disk.fill(9, 0, 256 * 1024);
  await writeFile(join(dir, 'disk.img'), disk);
  await importImage(store, { file: join(dir, 'disk.img'), name: 'disk', allowUnknownRaw: true });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(25);
  assert.ok(check(), `timed out waiting for ${what}`);
}

test('restarted with receivers that never come back: they are marked lost with the reason and the session ends cancelled', async () => {
  const before = new SessionRegistry(store, DEFAULTS, silentLogger(), TIMERS);
  const { session, tokens } = await before.create({ image: 'disk', version: 'latest', expect: 2 });
  const { receiver } = session.register(tokens[0] as string);
  session.attach(receiver.id, silent);
  await before.shutdown();

  const after = new SessionRegistry(store, DEFAULTS, silentLogger(), TIMERS);
  await after.resume();
  const resumed = after.get(session.record.id);
  await until(() => resumed.record.phase !== 'waiting', 'the start timeout');
  await resumed.finished();
  assert.equal(resumed.record.phase, 'cancelled', 'nothing was delivered: not "complete"');
  assert.deepEqual(resumed.record.receivers.map((x) => [x.id, x.state, x.failure?.code]), [['r1', 'lost', 'RC_ERR_RECEIVER_LOST']]);
  assert.match(resumed.record.receivers[0]?.failure?.message ?? '', /did not connect within 1 s/);
  await after.shutdown();

  // The verdict is stored: a further restart does not start the session again.
  const third = new SessionRegistry(store, DEFAULTS, silentLogger(), TIMERS);
  await third.resume();
  assert.equal(third.get(session.record.id).record.phase, 'cancelled');
  assert.equal(third.get(session.record.id).record.receivers[0]?.state, 'lost');
  await third.shutdown();
});

test('a receiver that comes back after the restart, before the start timeout, keeps the session going', async () => {
  const before = new SessionRegistry(store, DEFAULTS, silentLogger(), TIMERS);
  const { session, tokens } = await before.create({ image: 'disk', version: 'latest', expect: 2 });
  session.attach(session.register(tokens[0] as string).receiver.id, silent);
  await before.shutdown();

  const after = new SessionRegistry(store, DEFAULTS, silentLogger(), TIMERS);
  await after.resume();
  const resumed = after.get(session.record.id);
  const again = resumed.register(tokens[0] as string);
  resumed.attach(again.receiver.id, silent);
  await sleep(TIMERS.startTimeoutMs + 300);
  assert.notEqual(resumed.record.phase, 'cancelled');
  assert.notEqual(resumed.record.receivers[0]?.state, 'lost');
  resumed.cancel();
  await after.shutdown();
});
