import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeployView, MemberView } from '../deploy/index.js';
import { splitSseEvents } from './sse-reader.js';
import { exitCodeOf, headLine, isOver, plainLine, renderRow, watchRows, type WatchedSession } from './watch-render.js';

function member(over: Partial<MemberView>): MemberView {
  return {
    mac: '52:54:00:00:00:01', index: 1, hostname: 'rack1-1', state: 'receiving', bytesDone: 25, bytesTotal: 100, rate: 12_500_000, etaSeconds: 75,
    repairs: 3, failure: null, tries: [], plan: null, reasons: [], ...over,
  };
}

function session(members: MemberView[], state: DeployView['state'] = 'running'): WatchedSession {
  const done = members.filter((m) => m.state === 'done').length;
  const failed = members.filter((m) => m.state === 'failed').length;
  return {
    id: 4, image: 'golden', version: 2, phase: 'transfer', receivers: [],
    deploy: { mode: 'machines', count: members.length, hostnamePattern: 'rack1-{n}', state, done, failed, open: 0, members, finishedAt: null },
  };
}

test('server-sent events: named events, multi-line data, comments, and a chunk cut mid-event', () => {
  const first = splitSseEvents(': keep-alive\n\nevent: session\ndata: {"a":1}\n\ndata: x\ndata: y\n\nevent: end\nda');
  assert.deepEqual(first.events, [{ event: 'session', data: '{"a":1}' }, { event: 'message', data: 'x\ny' }]);
  const second = splitSseEvents(`${first.rest}ta: {}\r\n\r\n`);
  assert.deepEqual(second, { events: [{ event: 'end', data: '{}' }], rest: '' });
});

test('a bar per member: state, percent, MB/s, ETA, repairs; a failure replaces the numbers', () => {
  const s = session([member({}), member({ mac: '52:54:00:00:00:02', hostname: 'rack1-2', state: 'failed', failure: { code: 'RC_ERR_DISK_NOT_FOUND', message: 'no such disk' } })]);
  const [a, b] = watchRows(s).map((r) => renderRow(r, 27, 20));
  assert.equal(a, '52:54:00:00:00:01 rack1-1    [#####...............]  25% receiving          12.5 MB/s  ETA 1:15  repairs 3');
  assert.match(b ?? '', /rack1-2 +\[#{5}\.{15}\] +25% failed +RC_ERR_DISK_NOT_FOUND: no such disk$/);
  assert.equal(plainLine(watchRows(s)[0] as NonNullable<ReturnType<typeof watchRows>[0]>), '52:54:00:00:00:01 rack1-1: receiving 25% 12.5 MB/s repairs 3');
  assert.equal(headLine(s), 'session 4: golden@2 transfer; deploy running: 0 done, 1 failed, 1 running');
});

test('over when the deploy is complete; exit 0 only when every machine is done', () => {
  assert.equal(isOver(session([member({})])), false);
  const good = session([member({ state: 'done', bytesDone: 100 })], 'complete');
  assert.deepEqual([isOver(good), exitCodeOf(good), watchRows(good)[0]?.fraction], [true, 0, 1]);
  const bad = session([member({ state: 'done' }), member({ state: 'failed' })], 'complete');
  assert.equal(exitCodeOf(bad), 1);
});
