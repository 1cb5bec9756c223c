// Real firmware against Rackcast's ProxyDHCP: a QEMU machine whose NIC ROM is Debian's iPXE
// boots on a network where busybox udhcpd hands out addresses and Rackcast answers only as
// ProxyDHCP. iPXE must combine the two: take its address from udhcpd, ask Rackcast on port
// 4011, and fetch the boot script URL Rackcast gave it, from an address udhcpd leased. All
// inside network namespaces this test creates; software emulation (no KVM), one small VM.
import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { DhcpServerProcess, startUdhcpd, waitFor } from './helpers/dhcp-lab.js';
import { LabNet, assertLabNetAvailable, type LabHost } from './helpers/netns.js';
import { tempDir } from './helpers/temp-dir.js';

const VM_MAC = '52:54:00:dc:0e:01';
const HTTP_PORT = 8080;
/** iPXE under TCG: ~10 s to DHCP, up to ~16 s of IPv6 autoconf (research/lab.md §7.2); 3× that. */
const BOOT_TIMEOUT_MS = 150_000;

/** A stand-in for the HTTP boot routes: logs each request line and answers "exit 1". */
const HTTP_LOGGER = `require('http').createServer((q, r) => {
  console.log(JSON.stringify({ method: q.method, url: q.url, from: q.socket.remoteAddress }));
  r.end('#!ipxe\\nexit 1\\n');
}).listen(${HTTP_PORT}, '0.0.0.0', () => console.log('READY'));`;

let lab: LabNet;
let dir: Awaited<ReturnType<typeof tempDir>>;

before(async () => {
  await assertLabNetAvailable();
  dir = await tempDir('dhcp-ipxe');
  lab = await LabNet.create({ receivers: 2 });
});

after(async () => {
  await lab?.destroy();
  await dir?.remove();
});

/** Bridges a tap into the host's lab link, so a VM started in that namespace sits on the lab network. */
async function addTap(host: LabHost): Promise<string> {
  const ip = (args: string[]): Promise<unknown> => lab.exec(host, 'ip', args);
  await ip(['link', 'add', 'qbr0', 'type', 'bridge', 'stp_state', '0']);
  await ip(['link', 'set', host.iface, 'master', 'qbr0']);
  await ip(['link', 'set', 'qbr0', 'up']);
  await ip(['tuntap', 'add', 'dev', 'tapq0', 'mode', 'tap']);
  await ip(['link', 'set', 'tapq0', 'master', 'qbr0', 'up']);
  return 'tapq0';
}

test('iPXE takes its address from the site DHCP server and its boot script from Rackcast ProxyDHCP', { timeout: BOOT_TIMEOUT_MS + 60_000 }, async (t) => {
  const [siteDhcp, vmHost] = lab.receivers;
  assert.ok(siteDhcp && vmHost);
  await startUdhcpd(lab, siteDhcp, dir.path);
  const server = await DhcpServerProcess.start(lab, lab.sender, {
    mode: 'proxy', interfaceName: lab.sender.iface, serverAddress: lab.sender.ip, port: 67, proxyPort: 4011,
    httpBaseUrl: `http://${lab.sender.ip}:${HTTP_PORT}`, unknownMachines: 'register', knownMacs: [],
  });
  const http = lab.spawn(lab.sender, process.execPath, ['-e', HTTP_LOGGER]);
  const requests: { method: string; url: string; from: string }[] = [];
  let httpReady = false;
  createInterface({ input: http.stdout ?? process.stdin }).on('line', (line) => {
    if (line === 'READY') httpReady = true;
    else requests.push(JSON.parse(line) as { method: string; url: string; from: string });
  });
  await waitFor('the HTTP logger', 10_000, () => (httpReady ? true : undefined));
  const tap = await addTap(vmHost);
  lab.spawn(vmHost, 'qemu-system-x86_64', [
    '-machine', 'pc', '-m', '256', '-display', 'none', '-monitor', 'none', '-serial', 'null', '-boot', 'n',
    '-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no`, '-device', `e1000,netdev=n0,mac=${VM_MAC}`,
  ], { stdio: 'ignore' });

  const fetched = await waitFor('iPXE to fetch the boot script', BOOT_TIMEOUT_MS, () => requests.find((r) => r.url === '/boot/ipxe')).catch((err: Error) => {
    t.diagnostic(`server log: ${JSON.stringify(server.logs.filter((l) => l.mac === VM_MAC))}`);
    throw err;
  });
  const prefix = lab.sender.ip.split('.').slice(0, 3).join('.');
  const octet = Number(fetched.from.replace(/^::ffff:/, '').split('.')[3]);
  assert.ok(fetched.from.replace(/^::ffff:/, '').startsWith(`${prefix}.`) && octet >= 100 && octet <= 150, `fetched from ${fetched.from}: an address udhcpd leased`);
  const sent = server.lines('dhcp reply sent', VM_MAC);
  assert.ok(sent.some((l) => l.type === 2 && l.file === `http://${lab.sender.ip}:${HTTP_PORT}/boot/ipxe`), 'a ProxyDHCP offer with the script URL');
  assert.ok(sent.some((l) => l.type === 5), 'and the port-4011 ACK iPXE asked for');
  t.diagnostic(`replies to the VM: ${sent.map((l) => `${String(l.type)}→${String(l.ip)}`).join(', ')}; script fetched from ${fetched.from}`);
  await server.stop();
});
