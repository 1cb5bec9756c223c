// Rackcast's DHCP server against real DHCP clients: busybox udhcpc and ISC dhclient, with
// busybox udhcpd as the site's address server in proxy mode. Server and clients live in
// network namespaces this test creates (LabNet); no packet leaves them. Needs root, iproute2,
// busybox and isc-dhcp-client (scripts/install-deps.sh): it fails, never skips, without them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DhcpMessageType, readBootfileName, readMessageType, readPxeVendorOptions, readServerIdentifier, readVendorClass } from '@rackcast/wire';
import { ImageStore, type DhcpLease } from '@rackcast/server';
import {
  DhcpServerProcess, addBroadcastRoute, clientRequest, macOf, probe, pxeClientOptions, replyPackets, runDhclient, runUdhcpc, startUdhcpd,
} from './helpers/dhcp-lab.js';
import type { DhcpProcConfig } from './helpers/dhcp-server-proc.js';
import { LabNet, assertLabNetAvailable, type LabHost } from './helpers/netns.js';
import { tempDir } from './helpers/temp-dir.js';

const HTTP_PORT = 8080;

function serverConfig(lab: LabNet, overrides: Partial<DhcpProcConfig> = {}): DhcpProcConfig {
  return {
    mode: 'proxy', interfaceName: lab.sender.iface, serverAddress: lab.sender.ip, port: 67, proxyPort: 4011,
    httpBaseUrl: `http://${lab.sender.ip}:${HTTP_PORT}`, unknownMachines: 'register', knownMacs: [], ...overrides,
  };
}

const prefixOf = (lab: LabNet): string => lab.sender.ip.split('.').slice(0, 3).join('.');
const lastOctet = (ip: string | undefined): number => Number(ip?.split('.')[3] ?? NaN);
const host = (lab: LabNet, i: number): LabHost => {
  const h = lab.receivers[i];
  assert.ok(h, `no receiver ${i}`);
  return h;
};

const PXE_BIOS_UDHCPC = ['-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x5d:0000'];

describe('DHCP interop: ProxyDHCP beside a site DHCP server (udhcpd)', { timeout: 180_000 }, () => {
  let lab: LabNet;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: DhcpServerProcess;
  let addressServer: LabHost;

  before(async () => {
    await assertLabNetAvailable();
    dir = await tempDir('dhcp-proxy');
    lab = await LabNet.create({ receivers: 3 });
    addressServer = host(lab, 1);
    await startUdhcpd(lab, addressServer, dir.path);
    server = await DhcpServerProcess.start(lab, lab.sender, serverConfig(lab));
  });
  after(async () => {
    await server?.stop().catch(() => undefined);
    await lab?.destroy();
    await dir?.remove();
  });

  test('a plain udhcpc gets its address from udhcpd and nothing from Rackcast', async () => {
    const client = host(lab, 0);
    const mac = await macOf(lab, client);
    const { bound, output } = await runUdhcpc(lab, client, dir.path, []);
    assert.ok(bound, `udhcpc got no lease: ${output}`);
    assert.equal(bound.serverid, addressServer.ip);
    assert.ok(lastOctet(bound.ip) >= 100 && lastOctet(bound.ip) <= 150, `address ${bound.ip}`);
    assert.equal(bound.boot_file, undefined);
    assert.ok(server.lines('dhcp: no boot answer', mac).some((l) => l.reason === 'not a network-boot client'), 'the server saw the DISCOVER');
    assert.deepEqual(server.lines('dhcp reply sent', mac), [], 'and stayed silent');
  });

  test('a plain dhclient gets its address from udhcpd and nothing from Rackcast', async () => {
    const client = host(lab, 2);
    const mac = await macOf(lab, client);
    const { bound, log } = await runDhclient(lab, client, dir.path, 'timeout 15;\n');
    assert.ok(bound, `dhclient got no lease: ${log}`);
    assert.equal(bound.new_dhcp_server_identifier, addressServer.ip);
    assert.equal(bound.new_filename, undefined);
    assert.deepEqual(server.lines('dhcp reply sent', mac), []);
  });

  test('dhclient as a PXE client decodes the ProxyDHCP offer (an offer without an address)', async () => {
    // dhclient, like udhcpc, takes the first offer, and ours comes first: it then asks for
    // 0.0.0.0 and gets no lease. PXE firmware instead combines the address offer with the
    // ProxyDHCP offer (next test). Here: dhclient decodes both offers.
    const client = host(lab, 2);
    const conf = [
      'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";', 'option pxe-arch code 93 = unsigned integer 16;', 'send pxe-arch 0;',
      'select-timeout 1;', 'timeout 4;', '',
    ].join('\n');
    const { log } = await runDhclient(lab, client, dir.path, conf, 8_000);
    const esc = (ip: string): string => ip.replaceAll('.', '\\.');
    assert.match(log, new RegExp(`DHCPOFFER of 0\\.0\\.0\\.0 from ${esc(lab.sender.ip)}`));
    assert.match(log, new RegExp(`DHCPOFFER of [0-9.]+ from ${esc(addressServer.ip)}`));
  });

  test('PXE firmware flow: address from udhcpd, boot file from Rackcast on 67 and again on 4011', async () => {
    const client = host(lab, 0);
    const mac = await macOf(lab, client);
    await addBroadcastRoute(lab, client);
    // 1. DISCOVER as a BIOS PXE ROM: both servers offer.
    const discover = await probe(lab, client, { packets: [clientRequest(DhcpMessageType.Discover, mac, pxeClientOptions(0), { xid: 0x1001 })], to: '255.255.255.255', port: 67, bindPort: 68, listenMs: 2_500, maxReplies: 2 });
    const offers = replyPackets(discover).filter((p) => p.xid === 0x1001);
    const site = offers.find((p) => readServerIdentifier(p.options) === addressServer.ip);
    const proxy = offers.find((p) => readServerIdentifier(p.options) === lab.sender.ip);
    assert.ok(site && proxy, `want two offers, got ${offers.length}`);
    assert.notEqual(site.yiaddr, '0.0.0.0');
    assert.equal(proxy.yiaddr, '0.0.0.0');
    assert.equal(proxy.siaddr, lab.sender.ip);
    assert.equal(proxy.file, 'undionly.kpxe');
    assert.equal(readVendorClass(proxy.options), 'PXEClient');
    assert.deepEqual([...(readPxeVendorOptions(proxy.options)?.get(6) ?? [])], [8]);
    assert.deepEqual([...(proxy.options.get(97) ?? [])], [0, ...new Array<number>(16).fill(0x5a)]);
    // 2. REQUEST the site's address: udhcpd ACKs; Rackcast, not named, stays silent.
    const sent = server.lines('dhcp reply sent', mac).length;
    const request = await probe(lab, client, {
      packets: [clientRequest(DhcpMessageType.Request, mac, [...pxeClientOptions(0), [50, ipBytes(site.yiaddr)], [54, ipBytes(addressServer.ip)]], { xid: 0x1002 })],
      to: '255.255.255.255', port: 67, bindPort: 68, listenMs: 2_000, maxReplies: 1,
    });
    const ack = replyPackets(request).find((p) => p.xid === 0x1002);
    assert.equal(readMessageType(ack?.options ?? new Map()), DhcpMessageType.Ack);
    assert.equal(ack?.yiaddr, site.yiaddr);
    assert.equal(server.lines('dhcp reply sent', mac).length, sent);
    // 3. UEFI-style: ask the boot server on port 4011 for the boot file.
    const boot = await probe(lab, client, {
      packets: [clientRequest(DhcpMessageType.Request, mac, pxeClientOptions(7), { xid: 0x1003, ciaddr: client.ip, flags: 0 })],
      to: lab.sender.ip, port: 4011, bindPort: 68, listenMs: 2_000, maxReplies: 1,
    });
    const bootAck = replyPackets(boot).find((p) => p.xid === 0x1003);
    assert.equal(bootAck?.from, lab.sender.ip);
    assert.equal(readMessageType(bootAck?.options ?? new Map()), DhcpMessageType.Ack);
    assert.equal(bootAck?.file, 'ipxe.efi');
    assert.equal(readBootfileName(bootAck?.options ?? new Map()), 'ipxe.efi');
    assert.equal(bootAck?.yiaddr, '0.0.0.0');
  });
});

describe('DHCP interop: full DHCP (leases in the store)', { timeout: 180_000 }, () => {
  let lab: LabNet;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: DhcpServerProcess;
  let config: DhcpProcConfig;

  before(async () => {
    await assertLabNetAvailable();
    dir = await tempDir('dhcp-full');
    lab = await LabNet.create({ receivers: 2 });
    const prefix = prefixOf(lab);
    config = serverConfig(lab, {
      mode: 'full', storeDir: `${dir.path}/store`,
      range: { start: `${prefix}.100`, end: `${prefix}.120`, prefixLength: 24, leaseSeconds: 600, router: '', dns: [lab.sender.ip] },
    });
    server = await DhcpServerProcess.start(lab, lab.sender, config);
  });
  after(async () => {
    await server?.stop().catch(() => undefined);
    await lab?.destroy();
    await dir?.remove();
  });

  test('udhcpc as BIOS PXE: address, mask, lease, next-server and undionly.kpxe; no router', async () => {
    const { bound, output } = await runUdhcpc(lab, host(lab, 0), dir.path, PXE_BIOS_UDHCPC);
    assert.ok(bound, `no lease: ${output}`);
    assert.ok(lastOctet(bound.ip) >= 100 && lastOctet(bound.ip) <= 120, `address ${bound.ip}`);
    assert.equal(bound.serverid, lab.sender.ip);
    assert.equal(bound.siaddr, lab.sender.ip);
    assert.equal(bound.boot_file, 'undionly.kpxe');
    assert.equal(bound.subnet, '255.255.255.0');
    assert.equal(bound.lease, '600');
    assert.equal(bound.dns, lab.sender.ip);
    assert.equal(bound.router, undefined);
  });

  test('udhcpc as UEFI x64 PXE gets ipxe.efi; as iPXE the script URL and 175.176 = 1', async () => {
    const uefi = await runUdhcpc(lab, host(lab, 0), dir.path, ['-V', 'PXEClient:Arch:00007:UNDI:003016', '-x', '0x5d:0007']);
    assert.equal(uefi.bound?.boot_file, 'ipxe.efi', uefi.output);
    const ipxe = await runUdhcpc(lab, host(lab, 0), dir.path, [...PXE_BIOS_UDHCPC, '-x', '0x4d:69505845', '-O', '175']);
    assert.equal(ipxe.bound?.boot_file, `http://${lab.sender.ip}:${HTTP_PORT}/boot/ipxe`, ipxe.output);
    assert.equal(ipxe.bound?.opt175, 'b00101ff');
  });

  test('a plain udhcpc gets an address and no boot file', async () => {
    const { bound, output } = await runUdhcpc(lab, host(lab, 1), dir.path, []);
    assert.ok(bound, output);
    assert.equal(bound.boot_file, undefined);
    assert.equal(bound.serverid, lab.sender.ip);
  });

  test('dhclient as BIOS PXE: lease with filename and next-server', async () => {
    const conf = [
      'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";', 'option pxe-arch code 93 = unsigned integer 16;', 'send pxe-arch 0;',
      'request subnet-mask, domain-name-servers;', 'timeout 15;', '',
    ].join('\n');
    const { bound, log } = await runDhclient(lab, host(lab, 1), dir.path, conf);
    assert.ok(bound, log);
    assert.ok(lastOctet(bound.new_ip_address) >= 100 && lastOctet(bound.new_ip_address) <= 120);
    assert.equal(bound.new_filename, 'undionly.kpxe');
    assert.equal(bound.new_next_server, lab.sender.ip);
    assert.equal(bound.new_dhcp_server_identifier, lab.sender.ip);
    assert.equal(bound.new_dhcp_lease_time, '600');
  });

  test('leases are kept in the store and survive a restart: the same client gets the same address', async () => {
    const client = host(lab, 0);
    const before = await runUdhcpc(lab, client, dir.path, []);
    assert.ok(before.bound, before.output);
    await server.stop();
    const store = await ImageStore.open({ dir: `${dir.path}/store`, blockSize: 262144, keepVersions: 0 });
    const leases = await store.stateArea<DhcpLease>('dhcp-lease').values();
    await store.close();
    const mac = await macOf(lab, client);
    assert.ok(leases.some((l) => l.address === before.bound?.ip && l.mac === mac && l.state === 'bound'), JSON.stringify(leases));
    server = await DhcpServerProcess.start(lab, lab.sender, config);
    const again = await runUdhcpc(lab, client, dir.path, []);
    assert.equal(again.bound?.ip, before.bound.ip, again.output);
  });
});

describe('DHCP interop: served on one interface only', { timeout: 180_000 }, () => {
  // The server's namespace has two interfaces: mc0 on lab A and `dhcpb` on lab B's bridge.
  let labA: LabNet;
  let labB: LabNet;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const OTHER_IF = 'dhcpb';

  before(async () => {
    await assertLabNetAvailable();
    dir = await tempDir('dhcp-iface');
    labA = await LabNet.create({ receivers: 1 });
    labB = await LabNet.create({ receivers: 1 });
    const run = (args: string[]): Promise<unknown> => labB.exec(labB.sender, 'ip', args);
    // A veth from lab A's server namespace into lab B's bridge; deleting either namespace removes it.
    await labA.exec(labA.sender, 'ip', ['link', 'add', OTHER_IF, 'type', 'veth', 'peer', 'name', 'pdhcpb', 'netns', labB.bridgeNs]);
    await labA.exec(labA.sender, 'ip', ['addr', 'add', `${prefixOf(labB)}.2/24`, 'dev', OTHER_IF]);
    await labA.exec(labA.sender, 'ip', ['link', 'set', OTHER_IF, 'up']);
    await run(['-n', labB.bridgeNs, 'link', 'set', 'pdhcpb', 'master', 'br0', 'up']);
  });
  after(async () => {
    await labA?.destroy();
    await labB?.destroy();
    await dir?.remove();
  });

  for (const side of ['A', 'B'] as const) {
    test(`bound to the lab ${side} interface: answers clients there, never on the other one`, async () => {
      const [served, other] = side === 'A' ? [labA, labB] : [labB, labA];
      const prefix = prefixOf(served);
      const address = side === 'A' ? labA.sender.ip : `${prefixOf(labB)}.2`;
      const server = await DhcpServerProcess.start(labA, labA.sender, serverConfig(labA, {
        mode: 'full', interfaceName: side === 'A' ? labA.sender.iface : OTHER_IF, serverAddress: address,
        storeDir: `${dir.path}/store-${side}`, range: { start: `${prefix}.100`, end: `${prefix}.120`, prefixLength: 24, leaseSeconds: 600, router: '', dns: [] },
      }));
      try {
        const otherClient = host(other, 0);
        const silent = await runUdhcpc(other, otherClient, dir.path, ['-t', '2', '-T', '1']);
        assert.equal(silent.bound, undefined, `a client on the other interface got a lease: ${silent.output}`);
        const otherMac = await macOf(other, otherClient);
        assert.deepEqual(server.logs.filter((l) => l.mac === otherMac), [], 'the server never saw it');
        const { bound, output } = await runUdhcpc(served, host(served, 0), dir.path, PXE_BIOS_UDHCPC);
        assert.ok(bound, output);
        assert.equal(bound.serverid, address);
        assert.equal(bound.siaddr, address);
        assert.ok(bound.ip?.startsWith(`${prefix}.`));
      } finally {
        await server.stop();
      }
    });
  }
});

function ipBytes(ip: string): Uint8Array {
  return Uint8Array.from(ip.split('.').map(Number));
}
