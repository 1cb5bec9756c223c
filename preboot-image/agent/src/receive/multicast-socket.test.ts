import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setsockopt } from 'sockopt';
import { openMulticastSocket, type MulticastSocket, type MulticastSocketOptions } from './multicast-socket.js';

// Real sockets on loopback: the receiving socket joins a group on 127.0.0.1 and gets unicast
// datagrams on its port (a socket bound to 0.0.0.0 takes both). Multicast between namespaces
// is covered by test/multicast.test.ts.
const GROUP = '239.255.77.1';
const MAX = 1472;

let opened: MulticastSocket[] = [];
let senders: Socket[] = [];
afterEach(() => {
  for (const s of opened) s.close();
  for (const s of senders) s.close();
  opened = [];
  senders = [];
  delete process.env['RACKCAST_RECEIVE_SOCKET'];
});

async function freePort(): Promise<number> {
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address();
  probe.close();
  return port;
}

interface Received {
  readonly socket: MulticastSocket;
  readonly port: number;
  readonly hashes: string[];
  oversize: number;
}

async function receiver(extra: Partial<MulticastSocketOptions> = {}): Promise<Received> {
  const port = await freePort();
  const got: Received = { socket: null as unknown as MulticastSocket, port, hashes: [], oversize: 0 };
  const socket = await openMulticastSocket({
    port, group: GROUP, interfaceAddress: '127.0.0.1', receiveBufferBytes: 4 * 1024 * 1024, maxDatagramSize: MAX,
    // Hashed at once: the bytes are only valid during the call.
    onDatagram: (bytes) => got.hashes.push(createHash('sha256').update(bytes).digest('hex')),
    onOversize: () => got.oversize++,
    onError: (err) => assert.fail(err),
    ...extra,
  });
  opened.push(socket);
  return Object.assign(got, { socket });
}

async function sendAll(port: number, datagrams: readonly Buffer[]): Promise<void> {
  const s = createSocket('udp4');
  senders.push(s);
  // Paced in small bursts: this checks delivery, not the loopback's buffer.
  for (let i = 0; i < datagrams.length; i++) {
    await new Promise<void>((resolve, reject) => s.send(datagrams[i] as Buffer, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    if (i % 64 === 63) await sleep(2);
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await sleep(10);
  assert.ok(check(), `timed out waiting for ${what}`);
}

for (const kind of ['batched', 'dgram'] as const) {
  test(`${kind}: every datagram arrives whole and in order, across many batches`, async () => {
    if (kind === 'dgram') process.env['RACKCAST_RECEIVE_SOCKET'] = 'dgram';
    const r = await receiver();
    assert.equal(r.socket.kind, kind);
    assert.equal(r.socket.fallbackReason === null, kind === 'batched');
    // Sizes from 1 byte to the maximum, 1000 datagrams: more than several rings' worth.
    const datagrams = Array.from({ length: 1000 }, (_, i) => randomBytes(1 + ((i * 37) % MAX)));
    await sendAll(r.port, datagrams);
    await until(() => r.hashes.length === datagrams.length, 'all datagrams');
    assert.deepEqual(r.hashes, datagrams.map((d) => createHash('sha256').update(d).digest('hex')));
  });

  test(`${kind}: a datagram longer than the session's size is reported, and the next one still arrives`, async () => {
    if (kind === 'dgram') process.env['RACKCAST_RECEIVE_SOCKET'] = 'dgram';
    const r = await receiver();
    const good = randomBytes(100);
    await sendAll(r.port, [randomBytes(MAX + 200), good]);
    await until(() => r.hashes.length === 1, 'the good datagram');
    assert.equal(r.oversize, 1);
    assert.equal(r.hashes[0], createHash('sha256').update(good).digest('hex'));
  });

  test(`${kind}: after close nothing more is delivered and the port can be bound again`, async () => {
    if (kind === 'dgram') process.env['RACKCAST_RECEIVE_SOCKET'] = 'dgram';
    const r = await receiver();
    await sendAll(r.port, [randomBytes(10)]);
    await until(() => r.hashes.length === 1, 'the first datagram');
    r.socket.close();
    r.socket.close();
    await sendAll(r.port, [randomBytes(10)]);
    await sleep(100);
    assert.equal(r.hashes.length, 1);
    const again = createSocket('udp4');
    senders.push(again);
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.bind(r.port, () => resolve());
    });
  });
}

/** Every later send on `s` longer than `size` leaves as `size`-byte datagrams (UDP_SEGMENT), as the server's sends do. */
function setSegmentSize(s: Socket, size: number): void {
  const state = Object.getOwnPropertySymbols(s).find((k) => k.description === 'state symbol') as symbol;
  const fd = (s as unknown as Record<symbol, { handle: { fd: number } }>)[state]?.handle.fd as number;
  setsockopt({ _handle: { fd } }, 17 /* SOL_UDP */, 103 /* UDP_SEGMENT */, size);
}

async function segmentingSender(): Promise<Socket> {
  const s = createSocket('udp4');
  senders.push(s);
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  return s;
}

function sendOne(s: Socket, bytes: Buffer, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => s.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

for (const kind of ['batched', 'dgram'] as const) {
  test(`${kind}: a segmented send arrives as its datagrams, whole and in order`, async () => {
    if (kind === 'dgram') process.env['RACKCAST_RECEIVE_SOCKET'] = 'dgram';
    const r = await receiver();
    const s = await segmentingSender();
    // 300, 300, 300 and 100 bytes; then 44 datagrams of the session's size, as the server sends a block.
    const small = randomBytes(1000);
    const large = randomBytes(44 * MAX);
    setSegmentSize(s, 300);
    await sendOne(s, small, r.port);
    setSegmentSize(s, MAX);
    await sendOne(s, large, r.port);
    const parts = [0, 300, 600, 900].map((at) => small.subarray(at, at + 300));
    for (let at = 0; at < large.byteLength; at += MAX) parts.push(large.subarray(at, at + MAX));
    await until(() => r.hashes.length === parts.length, 'every datagram');
    assert.deepEqual(r.hashes, parts.map((d) => createHash('sha256').update(d).digest('hex')));
    // Batched, the kernel hands each send over whole (UDP_GRO); dgram gets it cut up.
    assert.equal(r.socket.coalescedPackets, kind === 'batched' ? 2 : 0);
  });
}

test('batched: a segmented send of datagrams longer than the session\'s size is one oversize report, and the next datagram still arrives', async () => {
  const r = await receiver();
  const s = await segmentingSender();
  setSegmentSize(s, MAX + 100);
  await sendOne(s, randomBytes(3 * (MAX + 100)), r.port);
  const good = randomBytes(100);
  await sendAll(r.port, [good]);
  await until(() => r.hashes.length === 1, 'the good datagram');
  assert.equal(r.oversize, 1);
  assert.equal(r.hashes[0], createHash('sha256').update(good).digest('hex'));
});

test('batched: the receive buffer is granted beyond net.core.rmem_max when running as root', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root (SO_RCVBUFFORCE)');
  const r = await receiver({ receiveBufferBytes: 16 * 1024 * 1024 });
  assert.equal(r.socket.kind, 'batched');
  // The kernel reports twice the size asked for (its bookkeeping overhead).
  assert.equal(r.socket.receiveBufferBytes, 32 * 1024 * 1024);
});

test('batched: a bad group address is refused with the step that failed', async () => {
  await assert.rejects(receiver({ group: '10.0.0.300' }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'RC_ERR_DATAGRAM_RING');
    assert.match(err.message, /group address/);
    return true;
  });
});
