import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCapturedConfig } from '@rackcast/wire';
import { parseEfibootmgr } from './boot-entries.js';
import { netmaskPrefix, parseIfupdown, parseNetplan, parseNetworkd } from './network-addresses.js';

const INTERFACES = `# The loopback network interface
auto lo
iface lo inet loopback

source /etc/network/interfaces.d/*

auto eth0
iface eth0 inet static
    address 10.0.0.5
    netmask 255.255.255.0
    gateway 10.0.0.1
    dns-nameservers 10.0.0.53 10.0.0.54
    hwaddress ether 52:54:00:AA:BB:CC
iface eth0 inet6 static
    address 2001:db8::5/64
    gateway 2001:db8::1

allow-hotplug ens4
iface ens4 inet dhcp
iface ens4 inet6 auto
`;

const NETPLAN = `# This file is generated from information provided by the datasource.
network:
  version: 2
  renderer: networkd
  ethernets:
    eno1:
      match:
        macaddress: "52:54:00:12:34:56"
      set-name: lan0
      addresses:
        - 10.1.0.5/24
        - "2001:db8:1::5/64"
      routes:
        - to: default
          via: 10.1.0.1
      nameservers:
        search: [example.com]
        addresses: [10.1.0.53, "10.1.0.54"]
    eno2:
      dhcp4: true
      dhcp6: no
  bonds:
    bond0:
      interfaces: [eno3, eno4]
      addresses: [192.168.1.10/24]
      gateway4: 192.168.1.1
`;

const NETWORKD = `[Match]
MACAddress=52:54:00:de:ad:01

[Network]
Address=10.2.0.7/16
Gateway=10.2.0.1
DNS=10.2.0.53
DHCP=ipv6

[Address]
Address=10.2.0.8/16
`;

const EFIBOOTMGR = `BootCurrent: 0003
Timeout: 0 seconds
BootOrder: 0003,0001,0000
Boot0000* UiApp\tFvVol(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/FvFile(462caa21-7614-4503-836e-8ab6f4662331)
Boot0001* UEFI PXEv4 (MAC:525400123456)\tPciRoot(0x0)/Pci(0x3,0x0)/MAC(525400123456,1)/IPv4(0.0.0.0,0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)
Boot0003* debian\tHD(1,GPT,2f1a9c3e-6b5d-4a7e-8c9f-0e1d2c3b4a51,0x800,0x20000)/File(\\EFI\\debian\\shimx64.efi)
Boot0004  old entry HD(1,MBR,0x5d8b3e21,0x800,0x100000)/File(\\EFI\\BOOT\\BOOTX64.EFI)
`;

describe('network configuration of the captured system', () => {
  test('ifupdown: static with netmask, IPv6 beside IPv4, DHCP; loopback left out', () => {
    assert.deepStrictEqual(parseIfupdown(INTERFACES), [
      { name: 'eth0', mac: '52:54:00:aa:bb:cc', source: 'ifupdown', dhcp4: false, dhcp6: false, addresses: ['10.0.0.5/24', '2001:db8::5/64'], gateways: ['10.0.0.1', '2001:db8::1'], dns: ['10.0.0.53', '10.0.0.54'] },
      { name: 'ens4', mac: '', source: 'ifupdown', dhcp4: true, dhcp6: true, addresses: [], gateways: [], dns: [] },
    ]);
  });

  test('netplan: block and flow lists, routes, nameservers, set-name, bonds', () => {
    assert.deepStrictEqual(parseNetplan(NETPLAN), [
      { name: 'lan0', mac: '52:54:00:12:34:56', source: 'netplan', dhcp4: false, dhcp6: false, addresses: ['10.1.0.5/24', '2001:db8:1::5/64'], gateways: ['10.1.0.1'], dns: ['10.1.0.53', '10.1.0.54'] },
      { name: 'eno2', mac: '', source: 'netplan', dhcp4: true, dhcp6: false, addresses: [], gateways: [], dns: [] },
      { name: 'bond0', mac: '', source: 'netplan', dhcp4: false, dhcp6: false, addresses: ['192.168.1.10/24'], gateways: ['192.168.1.1'], dns: [] },
    ]);
    assert.deepStrictEqual(parseNetplan('network:\n  version: 2\n'), []);
  });

  test('systemd-networkd: matched by MAC, named after the file', () => {
    assert.deepStrictEqual(parseNetworkd('10-lan.network', NETWORKD), [
      { name: '10-lan', mac: '52:54:00:de:ad:01', source: 'systemd-networkd', dhcp4: false, dhcp6: true, addresses: ['10.2.0.7/16', '10.2.0.8/16'], gateways: ['10.2.0.1'], dns: ['10.2.0.53'] },
    ]);
    assert.equal(parseNetworkd('x.network', '[Match]\nName=en*\n[Network]\nDHCP=yes\n')[0]?.name, 'en*');
  });

  test('netmask to prefix length', () => {
    assert.equal(netmaskPrefix('255.255.255.0'), 24);
    assert.equal(netmaskPrefix('255.255.240.0'), 20);
    assert.equal(netmaskPrefix('255.0.255.0'), null);
    assert.equal(netmaskPrefix('64'), 64);
  });
});

test('efibootmgr -v: current, order and entries with their device paths (tab or older space separation)', () => {
  const b = parseEfibootmgr(EFIBOOTMGR);
  assert.equal(b.current, '0003');
  assert.deepStrictEqual(b.order, ['0003', '0001', '0000']);
  assert.deepStrictEqual(b.entries.map((e) => [e.number, e.label, e.active]), [['0000', 'UiApp', true], ['0001', 'UEFI PXEv4 (MAC:525400123456)', true], ['0003', 'debian', true], ['0004', 'old entry', false]]);
  assert.equal(b.entries[2]?.path, 'HD(1,GPT,2f1a9c3e-6b5d-4a7e-8c9f-0e1d2c3b4a51,0x800,0x20000)/File(\\EFI\\debian\\shimx64.efi)');
  assert.equal(b.entries[3]?.path, 'HD(1,MBR,0x5d8b3e21,0x800,0x100000)/File(\\EFI\\BOOT\\BOOTX64.EFI)');
});

test('what the parsers produce passes the server\'s captured-configuration gate', () => {
  const config = {
    schema: 1, capturedAt: '2025-02-03T08:15:00.000Z', hostname: 'web-07', firmwareMode: 'uefi', disk: { path: '/dev/sda', sizeBytes: 1 << 30 },
    partitionTable: null, filesystems: [], problems: [],
    interfaces: [...parseIfupdown(INTERFACES), ...parseNetplan(NETPLAN), ...parseNetworkd('10-lan.network', NETWORKD)],
    bootEntries: parseEfibootmgr(EFIBOOTMGR),
  };
  assert.equal(parseCapturedConfig(JSON.parse(JSON.stringify(config))).interfaces.length, 6);
});
