import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatagramType, decodeDatagram, sealBlockParts, type SealedParts } from '@rackcast/wire';
import { silentLogger } from '../../log.js';
import { MulticastSender } from './multicast-sender.js';

/*
 * The sender writes each DATA datagram from pieces (header, a view of the sealed body and, at
 * the end, of the tag): a real socket pair on loopback checks that what arrives, put back
 * together by fragment index, is body ‖ tag exactly, where the tag lies inside a fragment,
 * straddles two, ends one exactly or fills a fragment of its own, and for a repair of chosen
 * fragments only. Each with segmentation offload (runs of a block's datagrams in one send,
 * cut by the kernel) and without (one send per datagram).
 */

const GROUP = '239.255.92.1';
const DATAGRAM = 200; // fragments of 164 bytes: small blocks cross many boundaries
const KEY = randomBytes(32);

let receiver: Socket;
let port = 0;
const arrived: Buffer[] = [];

before(async () => {
  receiver = createSocket({ type: 'udp4', reuseAddr: true });
  receiver.on('message', (m) => arrived.push(m));
  await new Promise<void>((resolve) => receiver.bind(0, () => resolve()));
  receiver.addMembership(GROUP, '127.0.0.1');
  port = receiver.address().port;
});

after(() => receiver.close());

async function collect(segmentOffload: boolean, send: (s: MulticastSender) => Promise<unknown>): Promise<Map<number, Map<number, Uint8Array>>> {
  arrived.length = 0;
  const sender = new MulticastSender({ sessionId: 5, group: GROUP, port, interfaceAddress: '127.0.0.1', ttl: 0, datagramSize: DATAGRAM, rateBps: 50_000_000, segmentOffload }, silentLogger());
  await sender.open();
  // Loopback can do it: asked for, it is on (64 datagrams a send), else off.
  assert.equal(sender.offloadRefusal, null);
  assert.equal(sender.segmentsPerSend, segmentOffload ? 64 : 1);
  try {
    await send(sender);
  } finally {
    await sleep(100);
    sender.close();
  }
  const blocks = new Map<number, Map<number, Uint8Array>>();
  for (const bytes of arrived) {
    const d = decodeDatagram(bytes);
    if (d.type !== DatagramType.Data) continue;
    const fragments = blocks.get(d.blockIndex) ?? new Map<number, Uint8Array>();
    fragments.set(d.fragmentIndex, Buffer.from(d.payload));
    blocks.set(d.blockIndex, fragments);
  }
  return blocks;
}

for (const segmentOffload of [true, false]) {
const mode = segmentOffload ? 'segmented sends' : 'one send per datagram';

test(`${mode}: datagrams sent from body and tag views reassemble to body ‖ tag, wherever the tag falls`, async () => {
  const fragment = DATAGRAM - 36;
  // Sealed length = frame + 16: the tag inside one fragment, straddling two, ending one exactly,
  // and alone in the last fragment.
  const frames = [100, fragment - 8, fragment - 16, 2 * fragment, 3 * fragment + 5].map((n) => randomBytes(n));
  const sealed: SealedParts[] = frames.map((frame, i) => sealBlockParts(KEY, 5, i, frame));
  const blocks = await collect(segmentOffload, (s) => s.sendPass(1, sealed.map((_, block) => ({ block })), { sealed: async (i) => sealed[i] as SealedParts }));
  for (const [i, parts] of sealed.entries()) {
    const fragments = blocks.get(i);
    assert.ok(fragments, `block ${i} arrived`);
    const joined = Buffer.concat([...fragments.entries()].sort(([a], [b]) => a - b).map(([, bytes]) => bytes));
    assert.ok(joined.equals(Buffer.concat([parts.body, parts.tag])), `block ${i} (frame ${frames[i]?.byteLength} bytes) is body ‖ tag`);
  }
});

test(`${mode}: a repair of chosen fragments sends those and only those, the tag piece included`, async () => {
  const fragment = DATAGRAM - 36;
  const sealed = sealBlockParts(KEY, 5, 0, randomBytes(2 * fragment - 8)); // the tag straddles fragments 1 and 2
  const whole = Buffer.concat([sealed.body, sealed.tag]);
  const blocks = await collect(segmentOffload, (s) => s.sendPass(2, [{ block: 0, fragments: [2, 0, 9] }], { sealed: async () => sealed }));
  const fragments = blocks.get(0);
  assert.deepEqual([...(fragments?.keys() ?? [])].sort(), [0, 2], 'fragment 9 does not exist and is skipped');
  assert.ok(Buffer.from(fragments?.get(0) ?? []).equals(whole.subarray(0, fragment)));
  assert.ok(Buffer.from(fragments?.get(2) ?? []).equals(whole.subarray(2 * fragment)));
});
}
