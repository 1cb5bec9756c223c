import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RemoteInfo } from 'node:dgram';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  BootpOp, BROADCAST_FLAG, DhcpMessageType, DhcpOption, chaddrBytes, encodeDhcpPacket, ipv4Bytes, readIpxeOptions, readLeaseTime,
  readMessageType, readPxeVendorOptions, readRouters, readServerIdentifier, readSubnetMask, readVendorClass, readBootfileName,
  type DhcpPacket,
} from '@rackcast/wire';
import { DhcpServer, type DhcpBootQuery, type DhcpBootVerdict, type DhcpServerOptions } from './dhcp-server.js';
import { LeasePool, type DhcpLease, type DhcpLeaseStore, type DhcpRange } from './lease-pool.js';

// The server's decisions without sockets: requests in as bytes, replies out as packets.

const SERVER = '10.9.0.1';
const MAC = '52:54:00:12:34:56';
const RANGE: DhcpRange = { start: '10.9.0.100', end: '10.9.0.102', prefixLength: 24, leaseSeconds: 600, router: '', dns: ['10.9.0.1'] };
const FROM: RemoteInfo = { address: '0.0.0.0', port: 68, family: 'IPv4', size: 0 };

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const GUID = Uint8Array.from([0, ...new Array<number>(16).fill(7)]);

function request(type: number, opts: [number, Uint8Array][] = [], fields: Partial<DhcpPacket> = {}, mac = MAC): Uint8Array {
  return encodeDhcpPacket({
    op: BootpOp.Request, htype: 1, hlen: 6, hops: 0, xid: 0x1234, secs: 0, flags: 0,
    ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: chaddrBytes(mac), sname: '', file: '',
    options: new Map([[DhcpOption.MessageType, Uint8Array.of(type)], ...opts]), ...fields,
  });
}

const pxeBios: [number, Uint8Array][] = [[60, ascii('PXEClient:Arch:00000:UNDI:002001')], [93, Uint8Array.of(0, 0)], [97, GUID]];
const pxeUefi: [number, Uint8Array][] = [[60, ascii('PXEClient:Arch:00007:UNDI:003000')], [93, Uint8Array.of(0, 7)]];
const ipxe: [number, Uint8Array][] = [...pxeBios, [77, ascii('iPXE')]];
const httpBoot: [number, Uint8Array][] = [[60, ascii('HTTPClient:Arch:00016:UNDI:003001')], [93, Uint8Array.of(0, 16)]];

/** A stand-in for boot/boot-policy (net/ must not import boot/). */
async function decideBoot({ client }: DhcpBootQuery): Promise<DhcpBootVerdict> {
  if (client.isIpxe) return { answer: { kind: 'ipxe-script', url: 'http://10.9.0.1:8080/boot/ipxe' } };
  if (client.bootProtocol === 'HTTPClient') return { answer: { kind: 'http', url: 'http://10.9.0.1:8080/boot/files/ipxe.efi' } };
  if (client.bootProtocol === 'PXEClient') return { answer: { kind: 'tftp', bootFile: client.arch === 7 ? 'ipxe.efi' : 'undionly.kpxe' } };
  return { answer: null, reason: 'not a network-boot client' };
}

class MemoryLeases implements DhcpLeaseStore {
  readonly map = new Map<string, DhcpLease>();
  async get(key: string) { return this.map.get(key); }
  async put(key: string, value: DhcpLease) { this.map.set(key, value); }
  async del(key: string) { this.map.delete(key); }
  async values() { return [...this.map.values()]; }
}

function capturingLog(): { log: DhcpServerOptions['log']; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
  return { log: pino({ level: 'info' }, stream), lines };
}

async function server(mode: 'proxy' | 'full', leases = new MemoryLeases(), clock = { now: 1_000_000 }) {
  const { log, lines } = capturingLog();
  const options: DhcpServerOptions = { mode, interfaceName: null, serverAddress: SERVER, port: 0, proxyPort: 0, range: RANGE, leases, decideBoot, log, now: () => clock.now };
  const pool = mode === 'full' ? await LeasePool.open(RANGE, leases) : null;
  const s = new DhcpServer(options, pool);
  const ask = async (bytes: Uint8Array, proxyPort = false, from = FROM) => s.handle(bytes, from, proxyPort);
  return { ask, lines, leases, clock };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ProxyDHCP (port 67 and 4011)', () => {
  test('BIOS PXE DISCOVER: offer without address, boot file, PXEClient, 43.6 = 8, GUID echoed, broadcast', async () => {
    const { ask } = await server('proxy');
    const out = await ask(request(DhcpMessageType.Discover, pxeBios));
    assert.ok(out);
    const p = out.packet;
    assert.equal(readMessageType(p.options), DhcpMessageType.Offer);
    assert.equal(p.yiaddr, '0.0.0.0');
    assert.equal(p.siaddr, SERVER);
    assert.equal(p.file, 'undionly.kpxe');
    assert.equal(readBootfileName(p.options), 'undionly.kpxe');
    assert.equal(readServerIdentifier(p.options), SERVER);
    assert.equal(readVendorClass(p.options), 'PXEClient');
    assert.deepEqual([...(readPxeVendorOptions(p.options)?.get(6) ?? [])], [8]);
    assert.deepEqual(p.options.get(97), GUID);
    assert.equal(p.options.get(DhcpOption.LeaseTime), undefined);
    assert.deepEqual(out.route, { address: '255.255.255.255', port: 68, broadcastInsteadOfUnicast: true });
  });

  test('UEFI PXE DISCOVER: ipxe.efi and no option 43 (the client asks again on 4011)', async () => {
    const { ask } = await server('proxy');
    const p = (await ask(request(DhcpMessageType.Discover, pxeUefi, { flags: BROADCAST_FLAG })))?.packet;
    assert.equal(p?.file, 'ipxe.efi');
    assert.equal(p?.options.get(43), undefined);
  });

  test('UEFI HTTP boot: the URL and HTTPClient', async () => {
    const { ask } = await server('proxy');
    const p = (await ask(request(DhcpMessageType.Discover, httpBoot)))?.packet;
    assert.equal(readVendorClass(p?.options ?? new Map()), 'HTTPClient');
    assert.equal(p?.file, 'http://10.9.0.1:8080/boot/files/ipxe.efi');
  });

  test('a plain client, and REQUESTs on port 67, get nothing', async () => {
    const { ask } = await server('proxy');
    assert.equal(await ask(request(DhcpMessageType.Discover, [[60, ascii('udhcp 1.35.0')]])), null);
    assert.equal(await ask(request(DhcpMessageType.Request, [...pxeBios, [54, ipv4Bytes('10.9.0.250')], [50, ipv4Bytes('10.9.0.177')]])), null);
    assert.equal(await ask(request(DhcpMessageType.Request, [...pxeBios, [54, ipv4Bytes(SERVER)]])), null);
  });

  test('iPXE REQUEST on 4011: ACK with the script URL, to the sender, no 175', async () => {
    const { ask } = await server('proxy');
    const from: RemoteInfo = { ...FROM, address: '10.9.0.150', port: 68 };
    const out = await ask(request(DhcpMessageType.Request, ipxe, { ciaddr: '10.9.0.150' }), true, from);
    assert.equal(readMessageType(out?.packet.options ?? new Map()), DhcpMessageType.Ack);
    assert.equal(out?.packet.ciaddr, '10.9.0.150');
    assert.equal(out?.packet.file, 'http://10.9.0.1:8080/boot/ipxe');
    assert.equal(out?.packet.options.get(175), undefined);
    assert.deepEqual(out?.route, { address: '10.9.0.150', port: 68, broadcastInsteadOfUnicast: false });
  });

  test('a relayed DISCOVER is answered to the relay', async () => {
    const { ask } = await server('proxy');
    const out = await ask(request(DhcpMessageType.Discover, pxeBios, { giaddr: '10.7.0.1', hops: 1 }));
    assert.deepEqual(out?.route, { address: '10.7.0.1', port: 67, broadcastInsteadOfUnicast: false });
    assert.equal(out?.packet.giaddr, '10.7.0.1');
  });

  test('malformed packets: one warn line each, then the server still answers', async () => {
    const { ask, lines } = await server('proxy');
    const good = request(DhcpMessageType.Discover, pxeBios);
    const bad = [good.subarray(0, 100), Uint8Array.from([...good.subarray(0, 240), 60, 200, 1]), new Uint8Array(9000), request(DhcpMessageType.Discover, [[93, Uint8Array.of(0)]])];
    for (const b of bad) assert.equal(await ask(b), null);
    await flush();
    const drops = lines.filter((l) => l.msg === 'dhcp packet dropped: malformed');
    assert.equal(drops.length, bad.length);
    assert.deepEqual(drops.map((l) => l.field), ['packet', 'options option 60', 'packet', 'option 93']);
    assert.ok(await ask(good));
  });
});

describe('full DHCP', () => {
  const selecting = (address: string, serverId = SERVER): [number, Uint8Array][] => [[50, ipv4Bytes(address)], [54, ipv4Bytes(serverId)]];

  test('DISCOVER → OFFER → REQUEST → ACK, lease persisted, no router unless configured, boot info added', async () => {
    const { ask, leases } = await server('full');
    const offer = (await ask(request(DhcpMessageType.Discover, pxeBios)))?.packet;
    assert.equal(offer?.yiaddr, '10.9.0.100');
    assert.equal(readSubnetMask(offer?.options ?? new Map()), '255.255.255.0');
    assert.equal(readLeaseTime(offer?.options ?? new Map()), 600);
    assert.equal(readRouters(offer?.options ?? new Map()), undefined);
    assert.equal(offer?.file, 'undionly.kpxe');
    assert.equal(offer?.siaddr, SERVER);
    assert.equal(offer?.options.get(60), undefined, 'a full DHCP offer carries no option 60 for PXE');
    assert.equal(offer?.options.get(43), undefined);
    const ack = (await ask(request(DhcpMessageType.Request, [...pxeBios, ...selecting('10.9.0.100')])))?.packet;
    assert.equal(readMessageType(ack?.options ?? new Map()), DhcpMessageType.Ack);
    assert.equal(ack?.yiaddr, '10.9.0.100');
    assert.equal(leases.map.get('10.9.0.100')?.mac, MAC);
    assert.equal(leases.map.get('10.9.0.100')?.state, 'bound');
  });

  test('a REQUEST naming another server is not answered, and frees the offer', async () => {
    const { ask, leases } = await server('full');
    await ask(request(DhcpMessageType.Discover));
    assert.equal(await ask(request(DhcpMessageType.Request, selecting('10.9.0.100', '10.9.0.250'))), null);
    assert.equal(leases.map.size, 0);
    const other = (await ask(request(DhcpMessageType.Discover, [], {}, '52:54:00:00:00:02')))?.packet;
    assert.equal(other?.yiaddr, '10.9.0.101', 'the cursor moves on; the freed offer is reused only once the range wraps');
  });

  test('iPXE on a full DHCP server gets the script and 175.176 = 1', async () => {
    const { ask } = await server('full');
    const p = (await ask(request(DhcpMessageType.Discover, ipxe)))?.packet;
    assert.equal(readBootfileName(p?.options ?? new Map()), 'http://10.9.0.1:8080/boot/ipxe');
    assert.deepEqual([...(readIpxeOptions(p?.options ?? new Map())?.get(176) ?? [])], [1]);
  });

  test('INIT-REBOOT: NAK for a wrong address, silence with no record; renew ACKs to ciaddr', async () => {
    const { ask } = await server('full');
    assert.equal(await ask(request(DhcpMessageType.Request, [[50, ipv4Bytes('10.9.0.101')]])), null, 'no record: silent');
    const wrongNet = await ask(request(DhcpMessageType.Request, [[50, ipv4Bytes('192.168.1.5')]]));
    assert.equal(readMessageType(wrongNet?.packet.options ?? new Map()), DhcpMessageType.Nak);
    assert.equal(wrongNet?.route.address, '255.255.255.255');
    await ask(request(DhcpMessageType.Discover));
    await ask(request(DhcpMessageType.Request, selecting('10.9.0.100')));
    const reboot = await ask(request(DhcpMessageType.Request, [[50, ipv4Bytes('10.9.0.102')]]));
    assert.equal(readMessageType(reboot?.packet.options ?? new Map()), DhcpMessageType.Nak);
    const renew = await ask(request(DhcpMessageType.Request, [], { ciaddr: '10.9.0.100' }));
    assert.equal(readMessageType(renew?.packet.options ?? new Map()), DhcpMessageType.Ack);
    assert.deepEqual(renew?.route, { address: '10.9.0.100', port: 68, broadcastInsteadOfUnicast: false });
  });

  test('RELEASE frees, DECLINE blocks, INFORM answers without an address, exhaustion is silent', async () => {
    const { ask, leases, lines } = await server('full');
    const macs = ['52:54:00:00:00:01', '52:54:00:00:00:02', '52:54:00:00:00:03', '52:54:00:00:00:04'];
    for (const [i, mac] of macs.slice(0, 3).entries()) {
      await ask(request(DhcpMessageType.Discover, [], {}, mac));
      const ack = await ask(request(DhcpMessageType.Request, selecting(`10.9.0.10${i}`), {}, mac));
      assert.equal(ack?.packet.yiaddr, `10.9.0.10${i}`);
    }
    assert.equal(await ask(request(DhcpMessageType.Discover, [], {}, macs[3])), null, 'range of 3 exhausted');
    assert.ok(lines.some((l) => l.msg === 'dhcp.range exhausted: no address to offer'));
    await ask(request(DhcpMessageType.Release, [[54, ipv4Bytes(SERVER)]], { ciaddr: '10.9.0.101' }, macs[1]));
    assert.equal(leases.map.has('10.9.0.101'), false);
    assert.equal((await ask(request(DhcpMessageType.Discover, [], {}, macs[3])))?.packet.yiaddr, '10.9.0.101');
    await ask(request(DhcpMessageType.Decline, [[54, ipv4Bytes(SERVER)], [50, ipv4Bytes('10.9.0.102')]], {}, macs[2]));
    assert.equal(leases.map.get('10.9.0.102')?.state, 'declined');
    const inform = await ask(request(DhcpMessageType.Inform, pxeBios, { ciaddr: '10.9.0.100' }, macs[0]));
    assert.equal(inform?.packet.yiaddr, '0.0.0.0');
    assert.equal(inform?.packet.options.get(DhcpOption.LeaseTime), undefined);
    assert.equal(inform?.packet.file, 'undionly.kpxe');
    assert.equal(inform?.route.address, '10.9.0.100');
  });

  test('leases survive a restart (the store is read back)', async () => {
    const leases = new MemoryLeases();
    const first = await server('full', leases);
    await first.ask(request(DhcpMessageType.Discover));
    await first.ask(request(DhcpMessageType.Request, selecting('10.9.0.100')));
    const second = await server('full', leases);
    const other = await second.ask(request(DhcpMessageType.Discover, [], {}, '52:54:00:00:00:09'));
    assert.equal(other?.packet.yiaddr, '10.9.0.101');
    const same = await second.ask(request(DhcpMessageType.Discover));
    assert.equal(same?.packet.yiaddr, '10.9.0.100');
  });
});

describe('lease pool', () => {
  test('expired leases are reused oldest first, a client keeps its own expired address, live offers are held', async () => {
    const leases = new MemoryLeases();
    const pool = await LeasePool.open(RANGE, leases);
    let now = 1_000_000;
    for (const [i, key] of ['a', 'b', 'c'].entries()) {
      const address = pool.offer(key, undefined, now);
      assert.equal(address, `10.9.0.10${i}`);
      await pool.bind(key, `52:54:00:00:00:0${i}`, address ?? '', now + i * 1000);
    }
    assert.equal(pool.offer('d', undefined, now), null, 'all three bound');
    now += RANGE.leaseSeconds * 1000 + 5_000; // every lease has ended
    assert.equal(pool.offer('b', undefined, now), '10.9.0.101', 'b gets its own address back');
    assert.equal(pool.offer('d', undefined, now), '10.9.0.100', 'd gets the lease that ended first');
    assert.equal(pool.offer('e', '10.9.0.101', now), '10.9.0.102', 'a live offer to b is not given away, even when asked for');
    assert.equal(pool.holderOf('10.9.0.101', now), 'b');
    now += 61_000; // the offers lapse
    assert.equal(pool.holderOf('10.9.0.101', now), undefined);
    assert.equal(pool.canBind('e', '10.9.0.101', now), true);
    assert.equal(pool.canBind('e', '10.9.1.5', now), false, 'outside the range');
  });

  test('a range that is not inside one network is refused', async () => {
    await assert.rejects(LeasePool.open({ ...RANGE, start: '10.9.0.100', end: '10.9.1.5' }, new MemoryLeases()), RangeError);
    await assert.rejects(LeasePool.open({ ...RANGE, start: '10.9.0.100', end: '10.9.0.99' }, new MemoryLeases()), RangeError);
  });
});
