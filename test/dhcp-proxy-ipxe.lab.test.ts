// Real firmware against Rackcast's ProxyDHCP, on a network where busybox udhcpd hands out the
// addresses and Rackcast answers only as ProxyDHCP: each machine must combine the two offers.
// (1) SeaBIOS with Debian's iPXE NIC ROM: address from udhcpd, boot script URL from our offer,
// fetched over HTTP from the leased address. (2) OVMF's own UEFI PXE (virtio-net, no ROM):
// address from udhcpd, then the boot server request on port 4011, then a TFTP request for
// ipxe.efi. Stand-in HTTP and TFTP listeners only record requests. All inside network
// namespaces this test creates; software emulation (no KVM), one small VM at a time.
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { DhcpServerProcess, startUdhcpd, waitFor } from './helpers/dhcp-lab.js';
import { LabNet, assertLabNetAvailable, type LabHost } from './helpers/netns.js';
import { tempDir } from './helpers/temp-dir.js';

const VM_MAC = '52:54:00:dc:0e:01';
const UEFI_MAC = '52:54:00:dc:0e:02';
const HTTP_PORT = 8080;
/** iPXE under TCG: ~10 s to DHCP, up to ~16 s of IPv6 autoconf (research/lab.md §7.2); 3× that. */
const BOOT_TIMEOUT_MS = 150_000;

/** A stand-in for the HTTP boot routes: logs each request line and answers "exit 1". */
const HTTP_LOGGER = `require('http').createServer((q, r) => {
  console.log(JSON.stringify({ method: q.method, url: q.url, from: q.socket.remoteAddress }));
  r.end('#!ipxe\\nexit 1\\n');
}).listen(${HTTP_PORT}, '0.0.0.0', () => console.log('READY'));`;

/** A stand-in TFTP server: logs the first packet of each request (RRQ: opcode 1, file name). */
const TFTP_LOGGER = `const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => {
  if (m.readUInt16BE(0) === 1) console.log(JSON.stringify({ file: m.subarray(2, m.indexOf(0, 2)).toString(), from: r.address }));
});
s.bind(69, '0.0.0.0', () => console.log('READY'));`;

interface Line { [key: string]: string }

let lab: LabNet;
let dir: Awaited<ReturnType<typeof tempDir>>;
let server: DhcpServerProcess;
const http: Line[] = [];
const tftp: Line[] = [];

/** Runs a one-file Node program in the server namespace and collects its JSON lines. */
async function startLogger(code: string, into: Line[]): Promise<void> {
  const child = lab.spawn(lab.sender, process.execPath, ['-e', code]);
  let ready = false;
  createInterface({ input: child.stdout ?? process.stdin }).on('line', (line) => {
    if (line === 'READY') ready = true;
    else into.push(JSON.parse(line) as Line);
  });
  await waitFor('a logger in the server namespace', 10_000, () => (ready ? true : undefined));
}

before(async () => {
  await assertLabNetAvailable();
  dir = await tempDir('dhcp-ipxe');
  lab = await LabNet.create({ receivers: 3 });
  const siteDhcp = lab.receivers[0];
  assert.ok(siteDhcp);
  await startUdhcpd(lab, siteDhcp, dir.path);
  server = await DhcpServerProcess.start(lab, lab.sender, {
    mode: 'proxy', interfaceName: lab.sender.iface, serverAddress: lab.sender.ip, port: 67, proxyPort: 4011,
    httpBaseUrl: `http://${lab.sender.ip}:${HTTP_PORT}`, unknownMachines: 'register', knownMacs: [],
  });
  await startLogger(HTTP_LOGGER, http);
  await startLogger(TFTP_LOGGER, tftp);
});

after(async () => {
  await server?.stop().catch(() => undefined);
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

/** True when `from` is an address udhcpd leases (.100–.150 of the lab subnet). */
function leasedBySite(from: string): boolean {
  const ip = from.replace(/^::ffff:/, '');
  const octet = Number(ip.split('.')[3]);
  return ip.startsWith(`${lab.sender.ip.split('.').slice(0, 3).join('.')}.`) && octet >= 100 && octet <= 150;
}

test('iPXE (SeaBIOS, NIC ROM) takes its address from the site DHCP server and its boot script from Rackcast ProxyDHCP', { timeout: BOOT_TIMEOUT_MS + 60_000 }, async (t) => {
  const vmHost = lab.receivers[1];
  assert.ok(vmHost);
  const tap = await addTap(vmHost);
  lab.spawn(vmHost, 'qemu-system-x86_64', [
    '-machine', 'pc', '-m', '256', '-display', 'none', '-monitor', 'none', '-serial', 'null', '-boot', 'n',
    '-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no`, '-device', `e1000,netdev=n0,mac=${VM_MAC}`,
  ], { stdio: 'ignore' });

  const fetched = await waitFor('iPXE to fetch the boot script', BOOT_TIMEOUT_MS, () => http.find((r) => r.url === '/boot/ipxe')).catch((err: Error) => {
    t.diagnostic(`server log: ${JSON.stringify(server.logs.filter((l) => l.mac === VM_MAC))}`);
    throw err;
  });
  assert.ok(leasedBySite(fetched.from ?? ''), `fetched from ${fetched.from}: an address udhcpd leased`);
  // iPXE uses a ProxyDHCP offer as it is when it carries no PXE options (43), as ours to iPXE
  // does not; with 43 it would ask again on port 4011 (iPXE src/net/udp/dhcp.c).
  const sent = server.lines('dhcp reply sent', VM_MAC);
  assert.ok(sent.some((l) => l.type === 2 && l.file === `http://${lab.sender.ip}:${HTTP_PORT}/boot/ipxe`), 'a ProxyDHCP offer with the script URL');
  t.diagnostic(`replies to the VM: ${sent.map((l) => `type ${String(l.type)} to ${String(l.ip)}`).join(', ')}; script fetched from ${fetched.from}`);
});

test('OVMF\'s own UEFI PXE asks Rackcast on port 4011 and requests ipxe.efi over TFTP', { timeout: BOOT_TIMEOUT_MS + 60_000 }, async (t) => {
  const vmHost = lab.receivers[2];
  assert.ok(vmHost);
  const tap = await addTap(vmHost);
  const vars = `${dir.path}/OVMF_VARS.fd`;
  await copyFile('/usr/share/OVMF/OVMF_VARS_4M.fd', vars);
  // virtio-net without an option ROM: OVMF's own driver and PXE (EDK2 NetworkPkg), not iPXE.
  lab.spawn(vmHost, 'qemu-system-x86_64', [
    '-machine', 'q35', '-m', '512', '-display', 'none', '-monitor', 'none', '-serial', 'null', '-boot', 'n',
    '-drive', 'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd', '-drive', `if=pflash,format=raw,unit=1,file=${vars}`,
    '-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n0,mac=${UEFI_MAC},romfile=`,
  ], { stdio: 'ignore' });
  const rrq = await waitFor('OVMF to request ipxe.efi over TFTP', BOOT_TIMEOUT_MS, () => tftp.find((r) => r.file === 'ipxe.efi')).catch((err: Error) => {
    t.diagnostic(`server log: ${JSON.stringify(server.logs.filter((l) => l.mac === UEFI_MAC))}`);
    throw err;
  });
  assert.ok(leasedBySite(rrq.from ?? ''), `TFTP request from ${rrq.from}: an address udhcpd leased`);
  const sent = server.lines('dhcp reply sent', UEFI_MAC);
  assert.ok(sent.some((l) => l.type === 2 && l.file === 'ipxe.efi'), 'a ProxyDHCP offer (no option 43)');
  assert.ok(sent.some((l) => l.type === 5 && l.file === 'ipxe.efi'), 'and the port-4011 ACK the firmware asked for');
  t.diagnostic(`replies to the VM: ${sent.map((l) => `type ${String(l.type)} to ${String(l.ip)}`).join(', ')}; RRQ from ${rrq.from}`);
});
