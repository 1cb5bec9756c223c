// Malformed DHCP input against the real server in a network namespace: every malformed
// datagram costs exactly one log line and is dropped, and the server keeps answering real
// clients (busybox udhcpc) afterwards. Then a bounded flood of mutated packets: no internal
// error, and still answering. Traffic stays inside namespaces this test creates.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DhcpMessageType, decodeDhcpPacket, readBootfileName, readMessageType } from '@rackcast/wire';
import {
  DhcpServerProcess, addBroadcastRoute, clientRequest, macOf, probe, pxeClientOptions, replyPackets, runUdhcpc, waitFor,
} from './helpers/dhcp-lab.js';
import type { DhcpProcConfig } from './helpers/dhcp-server-proc.js';
import { LabNet, assertLabNetAvailable, type LabHost } from './helpers/netns.js';
import { tempDir } from './helpers/temp-dir.js';

const DROPPED = 'dhcp packet dropped: malformed';
const FLOOD = 3_000;

/** A valid PXE DISCOVER as bytes, to be broken in one way per case. */
function discoverBytes(mac: string, extra: [number, Uint8Array][] = []): Uint8Array {
  // A copy, not a Buffer: Buffer#slice would return views and the cases would share edits.
  return Uint8Array.from(Buffer.from(clientRequest(DhcpMessageType.Discover, mac, [...pxeClientOptions(0), ...extra]), 'base64'));
}

/** The DISCOVER with its options area (after the cookie) replaced by `options`. */
function withOptions(base: Uint8Array, options: number[]): Uint8Array {
  return Uint8Array.from([...base.subarray(0, 240), ...options]);
}

function patched(base: Uint8Array, at: number, bytes: number[]): Uint8Array {
  const out = base.slice();
  out.set(bytes, at);
  return out;
}

/** Each case: a name, the bytes, and the field the drop line must name. */
function malformedCases(mac: string): [string, Uint8Array, string][] {
  const base = discoverBytes(mac);
  const vc = [60, 9, ...Buffer.from('PXEClient')];
  return [
    ['header cut at 100 bytes', base.subarray(0, 100), 'packet'],
    ['cut one byte before the cookie ends', base.subarray(0, 239), 'packet'],
    ['plain BOOTP (no magic cookie)', patched(base, 236, [0, 0, 0, 0]), 'cookie'],
    ['op 3', patched(base, 0, [3]), 'op'],
    ['hardware address length 17', patched(base, 2, [17]), 'hlen'],
    ['option length past the end', withOptions(base, [53, 1, 1, 60, 200, 65, 65]), 'options option 60'],
    ['option code without a length byte', withOptions(base, [53, 1, 1, 12]), 'options option 12'],
    ['message type of 2 bytes', withOptions(base, [53, 2, 1, 1, 255]), 'option 53'],
    ['message type 9', withOptions(base, [53, 1, 9, 255]), 'option 53'],
    ['client arch of 3 bytes', withOptions(base, [53, 1, 1, ...vc, 93, 3, 0, 0, 7, 255]), 'option 93'],
    ['client GUID of 5 bytes', withOptions(base, [53, 1, 1, ...vc, 97, 5, 0, 1, 2, 3, 4, 255]), 'option 97'],
    ['UNDI of 2 bytes', withOptions(base, [53, 1, 1, ...vc, 94, 2, 1, 2, 255]), 'option 94'],
    ['option overload 7', withOptions(base, [52, 1, 7, 53, 1, 1, 255]), 'option 52'],
    ['overloaded file with a lying length', patched(withOptions(base, [52, 1, 1, 53, 1, 1, 255]), 108, [60, 250, 1]), 'file option 60'],
    ['iPXE options with a cut sub-option', withOptions(base, [53, 1, 1, ...vc, 175, 3, 176, 5, 1, 255]), 'option 175 option 176'],
    ['client identifier of 1 byte (full mode reads it)', withOptions(base, [53, 1, 1, 61, 1, 1, 255]), 'option 61'],
    ['requested address of 3 bytes', withOptions(base, [53, 1, 3, 50, 3, 10, 0, 0, 255]), 'option 50'],
    ['oversize: 9000 bytes', Uint8Array.from([...base, ...new Array<number>(9000 - base.byteLength).fill(0)]), 'packet'],
  ];
}

describe('DHCP bad input', { timeout: 180_000 }, () => {
  let lab: LabNet;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let client: LabHost;
  let clientMac: string;

  const config = (mode: 'proxy' | 'full'): DhcpProcConfig => {
    const prefix = lab.sender.ip.split('.').slice(0, 3).join('.');
    return {
      mode, interfaceName: lab.sender.iface, serverAddress: lab.sender.ip, port: 67, proxyPort: 4011, httpBaseUrl: `http://${lab.sender.ip}:8080`,
      unknownMachines: 'register', knownMacs: [], storeDir: `${dir.path}/store-${mode}`,
      range: { start: `${prefix}.100`, end: `${prefix}.150`, prefixLength: 24, leaseSeconds: 600, router: '', dns: [] },
    };
  };

  before(async () => {
    await assertLabNetAvailable();
    dir = await tempDir('dhcp-bad');
    lab = await LabNet.create({ receivers: 1 });
    const first = lab.receivers[0];
    assert.ok(first);
    client = first;
    clientMac = await macOf(lab, client);
    await addBroadcastRoute(lab, client);
  });
  after(async () => {
    await lab?.destroy();
    await dir?.remove();
  });

  test('each malformed packet: dropped with one log line naming the field; unknown options are fine; udhcpc still gets a lease', async () => {
    const server = await DhcpServerProcess.start(lab, lab.sender, config('full'));
    try {
      const cases = malformedCases('52:54:00:ba:d0:01');
      for (const [name, bytes, field] of cases) {
        const before = server.lines(DROPPED).length;
        const sent = await probe(lab, client, { packets: [Buffer.from(bytes).toString('base64')], to: '255.255.255.255', port: 67, bindPort: 68, listenMs: 0 });
        assert.equal(sent.sent, 1);
        const lines = await waitFor(`the drop line for "${name}"`, 5_000, () => {
          const now = server.lines(DROPPED);
          return now.length > before ? now.slice(before) : undefined;
        });
        assert.equal(lines.length, 1, `${name}: one line`);
        assert.equal(lines[0]?.field, field, name);
        assert.equal(lines[0]?.ip, client.ip);
      }
      // Unknown options (200, 224, 250, and a long one) are not malformed: the DISCOVER is answered.
      const unknown = discoverBytes('52:54:00:ba:d0:02', [[200, Uint8Array.of(1, 2, 3)], [224, new Uint8Array(0)], [250, new Uint8Array(300).fill(7)]]);
      const answered = await probe(lab, client, { packets: [Buffer.from(unknown).toString('base64')], to: '255.255.255.255', port: 67, bindPort: 68, listenMs: 2_000, maxReplies: 1 });
      const offer = replyPackets(answered)[0];
      assert.equal(readMessageType(offer?.options ?? new Map()), DhcpMessageType.Offer);
      assert.equal(readBootfileName(offer?.options ?? new Map()), 'undionly.kpxe');
      const { bound, output } = await runUdhcpc(lab, client, dir.path, ['-V', 'PXEClient:Arch:00000:UNDI:002001']);
      assert.equal(bound?.boot_file, 'undionly.kpxe', output);
      assert.equal(server.lines(DROPPED).length, cases.length, 'no more drop lines than malformed packets');
      assert.deepEqual(server.logs.filter((l) => (l.level ?? 0) >= 50), [], 'no internal errors');
      assert.ok(server.lines('dhcp lease bound', clientMac).length >= 1);
    } finally {
      await server.stop();
    }
  });

  test(`a flood of ${FLOOD} mutated packets: no internal error, every drop one line, and the server still answers`, async () => {
    const server = await DhcpServerProcess.start(lab, lab.sender, config('proxy'));
    try {
      const packets = mutatedFlood(FLOOD, discoverBytes('52:54:00:f1:00:d0'));
      const undecodable = packets.filter((p) => { try { decodeDhcpPacket(p); return false; } catch { return true; } }).length;
      const sent = await probe(lab, client, { packets: packets.map((p) => Buffer.from(p).toString('base64')), to: lab.sender.ip, port: 67, bindPort: 68, listenMs: 1_000, gapMs: 1 });
      assert.equal(sent.sent, FLOOD);
      await waitFor('the server to log every undecodable packet', 20_000, () => (server.lines(DROPPED).length >= undecodable ? true : undefined));
      const drops = server.lines(DROPPED).length;
      assert.ok(drops >= undecodable && drops <= FLOOD, `${drops} drop lines for ${undecodable} undecodable of ${FLOOD}`);
      assert.deepEqual(server.logs.filter((l) => (l.level ?? 0) >= 50), [], 'no internal errors');
      const after = await probe(lab, client, {
        packets: [clientRequest(DhcpMessageType.Discover, clientMac, pxeClientOptions(7), { xid: 0xaf7e })], to: '255.255.255.255', port: 67, bindPort: 68, listenMs: 3_000, maxReplies: 1,
      });
      const offer = replyPackets(after).find((p) => p.xid === 0xaf7e);
      assert.equal(offer?.file, 'ipxe.efi');
    } finally {
      await server.stop();
    }
  });
});

/** Deterministic mutations of a valid DISCOVER: bit flips, cuts, length lies, random tails. */
function mutatedFlood(count: number, base: Uint8Array): Uint8Array[] {
  let seed = 0x0bad_d4c9;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = base.slice();
    switch (i % 4) {
      case 0: { const at = rand(b.byteLength); b[at] = (b[at] ?? 0) ^ (1 << rand(8)); out.push(b); break; }
      case 1: out.push(b.subarray(0, rand(b.byteLength))); break;
      case 2: b[240 + rand(b.byteLength - 240)] = rand(256); out.push(b); break;
      default: out.push(Uint8Array.from([...b.subarray(0, 240 + rand(40)), ...Array.from({ length: rand(64) }, () => rand(256))]));
    }
  }
  return out;
}
