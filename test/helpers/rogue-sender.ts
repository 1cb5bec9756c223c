// A hostile or confused sender on the segment, for tests: it learns the real sender's id from
// an ANNOUNCE, then for `seconds` sends (a) random bytes, (b) datagrams of another session and
// (c) whole blocks sealed with a wrong key under the real sender's id, so receivers must reject
// them by authentication. Usage (inside a namespace):
//   node rogue-sender.js <group> <port> <interfaceAddress> <sessionId> <blockCount> <seconds>
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { DatagramType, decodeDatagram, encodeDatagram, sealBlock } from '@rackcast/wire';

const [group = '', portText = '', iface = '', sessionText = '', blocksText = '', secondsText = '5'] = process.argv.slice(2);
const port = Number(portText);
const sessionId = Number(sessionText);
const blockCount = Number(blocksText);
const socket = createSocket({ type: 'udp4', reuseAddr: true });
socket.bind(port, () => {
  socket.addMembership(group, iface);
  socket.setMulticastInterface(iface);
});
let sent = 0;
socket.on('message', (msg) => {
  let d;
  try {
    d = decodeDatagram(msg);
  } catch {
    return;
  }
  if (d.type !== DatagramType.Announce || d.sessionId !== sessionId || sent > 0) return;
  void attack(d.senderId);
});

async function attack(senderId: number): Promise<void> {
  const end = Date.now() + Number(secondsText) * 1000;
  const wrongKey = randomBytes(32);
  for (let round = 0; Date.now() < end && round < 100_000; round++) {
    socket.send(randomBytes(200), port, group);
    socket.send(encodeDatagram({ type: DatagramType.Data, sessionId: sessionId + 1, senderId, sequence: round, pass: 1, blockIndex: 0, fragmentIndex: 0, fragmentCount: 1, sealedLength: 10, payload: randomBytes(10) }), port, group);
    const blockIndex = round % blockCount;
    const sealed = sealBlock(wrongKey, sessionId, blockIndex, randomBytes(100));
    socket.send(encodeDatagram({ type: DatagramType.Data, sessionId, senderId, sequence: round, pass: 1, blockIndex, fragmentIndex: 0, fragmentCount: 1, sealedLength: sealed.byteLength, payload: sealed }), port, group);
    sent += 3;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  process.stdout.write(`${JSON.stringify({ sent })}\n`);
  socket.close();
}
setTimeout(() => { process.stdout.write(`${JSON.stringify({ sent })}\n`); process.exit(0); }, (Number(secondsText) + 20) * 1000).unref();
