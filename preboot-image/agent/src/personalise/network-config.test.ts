import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NicConfig } from '@rackcast/wire';
import type { DirEntry } from './ext4-editor.js';
import { parseLsP } from './ext4-editor.js';
import { planNetworkChanges, type ImageFile, type ImageNetwork } from './network-config.js';
import { netplanNames, netplanRenderer } from './netplan.js';
import { imageNicNames, nicSettings } from './nic-settings.js';
import { PersonaliseError } from './personalise-error.js';

const GOLDEN_INTERFACES = '# ifupdown\nsource /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp\n';
const GOLDEN_NETPLAN = 'network:\n  version: 2\n  renderer: networkd\n  ethernets:\n    eth0:\n      match:\n        macaddress: "52:54:00:60:1d:00"\n      set-name: eth0\n      dhcp4: true\n';
const GOLDEN_NETWORKD = '[Match]\nMACAddress=52:54:00:60:1d:00\n\n[Network]\nDHCP=ipv4\n';
const DHCP: NicConfig = { mac: '52:54:00:AB:CD:07', mode: 'dhcp', address: '', gateway: '', dns: [] };
const STATIC: NicConfig = { mac: '52:54:00:ab:cd:08', mode: 'static', address: '10.0.0.21/24', gateway: '10.0.0.1', dns: ['10.0.0.2', '2001:db8::53'] };

const entry = (name: string, mode = 0o644): DirEntry => ({ name, kind: 'file', mode, uid: 0, gid: 0, size: 1 });
const file = (path: string, text: string, mode = 0o644): ImageFile => ({ path, text, entry: entry(path.split('/').pop() ?? '', mode) });

function image(over: Partial<ImageNetwork> = {}): ImageNetwork {
  return {
    interfaces: file('/etc/network/interfaces', GOLDEN_INTERFACES), netplan: [file('/etc/netplan/50-golden.yaml', GOLDEN_NETPLAN, 0o600)],
    networkd: [file('/etc/systemd/network/10-golden.network', GOLDEN_NETWORKD)], networkdEnabled: false, udevd: false,
    systemdDir: true, systemdNetworkDir: true, existing: new Set(['/etc/network/interfaces', '/etc/netplan/50-golden.yaml', '/etc/systemd/network/10-golden.network']), ...over,
  };
}

const written = (changes: ReturnType<typeof planNetworkChanges>, path: string): string => {
  const e = changes.edits.find((x) => x.op === 'write' && x.path === path);
  assert.ok(e?.op === 'write', `nothing written to ${path}`);
  return e.content;
};

test('names: the image\'s own interface names in order, from ifupdown and netplan', () => {
  assert.deepEqual(imageNicNames(GOLDEN_INTERFACES, netplanNames(GOLDEN_NETPLAN)), ['eth0']);
  assert.deepEqual(imageNicNames('iface lo inet loopback\niface eno1 inet dhcp\niface eno2 inet6 auto\n', []), ['eno1', 'eno2']);
  // Ubuntu installer style: ids without match are names; matched ids without set-name are not.
  assert.deepEqual(netplanNames('network:\n  ethernets:\n    ens3:\n      dhcp4: true\n    lan:\n      match:\n        macaddress: "aa:bb:cc:dd:ee:ff"\n    wan:\n      match: {name: "enp*"}\n      set-name: wan0\n  version: 2\n'), ['ens3', 'wan0']);
  assert.equal(netplanRenderer(GOLDEN_NETPLAN), 'networkd');
});

test('the plan\'s NIC values are checked before anything is written', () => {
  const bad = (nic: Partial<NicConfig>, name = 'eth0'): void => {
    assert.throws(() => nicSettings({ ...STATIC, ...nic }, name), (e: unknown) => e instanceof PersonaliseError && e.code === 'RC_ERR_PERSONALISE_PLAN', JSON.stringify(nic));
  };
  bad({ mac: '52:54:00:ab:cd' });
  bad({ mac: '52:54:00:ab:cd:0g' });
  bad({ address: '10.0.0.21' });
  bad({ address: '10.0.0.21/33' });
  bad({ address: '10.0.0.21/24\nDNS=1.1.1.1' });
  bad({ gateway: 'router' });
  bad({ dns: ['10.0.0.2', 'x'] });
  bad({}, 'eth 0');
  assert.equal(nicSettings(DHCP, 'eth0').mac, '52:54:00:ab:cd:07');
});

test('golden image, one DHCP and one static NIC: all three formats, keyed to the MACs; the source\'s files kept aside', () => {
  const nics = [nicSettings(DHCP, 'eth0'), nicSettings(STATIC, 'eth1')];
  const changes = planNetworkChanges(image(), nics);
  assert.deepEqual(changes.formats, ['ifupdown', 'systemd-networkd', 'netplan']);
  assert.deepEqual(changes.keptAsSource, ['/etc/network/interfaces', '/etc/systemd/network/10-golden.network', '/etc/netplan/50-golden.yaml']);
  assert.deepEqual(changes.edits.filter((e) => e.op === 'rename'), [
    { op: 'rename', from: '/etc/network/interfaces', to: '/etc/network/interfaces.rackcast-source' },
    { op: 'rename', from: '/etc/systemd/network/10-golden.network', to: '/etc/systemd/network/10-golden.network.rackcast-source' },
    { op: 'rename', from: '/etc/netplan/50-golden.yaml', to: '/etc/netplan/50-golden.yaml.rackcast-source' },
  ]);
  const ifupdown = written(changes, '/etc/network/interfaces');
  assert.match(ifupdown, /^source \/etc\/network\/interfaces\.d\/\*$/m);
  assert.match(ifupdown, /^auto lo\niface lo inet loopback$/m);
  assert.match(ifupdown, /^# 52:54:00:ab:cd:07\nallow-hotplug eth0\niface eth0 inet dhcp$/m);
  assert.match(ifupdown, /^# 52:54:00:ab:cd:08\nallow-hotplug eth1\niface eth1 inet static\n\taddress 10\.0\.0\.21\/24\n\tgateway 10\.0\.0\.1\n\tdns-nameservers 10\.0\.0\.2 2001:db8::53$/m);
  assert.equal(written(changes, '/etc/systemd/network/05-rackcast-525400abcd07.network'), '# Written by rackcast for this clone from its deploy plan.\n[Match]\nMACAddress=52:54:00:ab:cd:07\n\n[Network]\nDHCP=ipv4\n');
  assert.match(written(changes, '/etc/systemd/network/05-rackcast-525400abcd08.network'), /\[Match\]\nMACAddress=52:54:00:ab:cd:08\n\n\[Network\]\nAddress=10\.0\.0\.21\/24\nGateway=10\.0\.0\.1\nDNS=10\.0\.0\.2\nDNS=2001:db8::53\n$/);
  const netplan = written(changes, '/etc/netplan/90-rackcast.yaml');
  assert.match(netplan, /^ {2}renderer: networkd$/m);
  assert.match(netplan, /^ {4}eth0:\n {6}match:\n {8}macaddress: "52:54:00:ab:cd:07"\n {6}set-name: eth0\n {6}dhcp4: true$/m);
  assert.match(netplan, /^ {4}eth1:\n {6}match:\n {8}macaddress: "52:54:00:ab:cd:08"\n {6}set-name: eth1\n {6}addresses:\n {8}- "10\.0\.0\.21\/24"\n {6}routes:\n {8}- to: "0\.0\.0\.0\/0"\n {10}via: "10\.0\.0\.1"\n {6}nameservers:\n {8}addresses: \["10\.0\.0\.2", "2001:db8::53"\]$/m);
  const netplanEdit = changes.edits.find((e) => e.op === 'write' && e.path.endsWith('90-rackcast.yaml'));
  assert.equal(netplanEdit?.op === 'write' && netplanEdit.mode, 0o600);
});

test('ifupdown with udev: names pinned by .link files, except kernel-style ones; the folder is made when missing', () => {
  const changes = planNetworkChanges(image({ netplan: [], networkd: [], udevd: true, systemdNetworkDir: false }), [nicSettings(DHCP, 'eno1'), nicSettings(STATIC, 'eth1')]);
  assert.deepEqual(changes.formats, ['ifupdown']);
  assert.deepEqual(changes.edits.filter((e) => e.op === 'mkdir'), [{ op: 'mkdir', path: '/etc/systemd/network' }]);
  assert.equal(written(changes, '/etc/systemd/network/10-rackcast-eno1.link'), '# Written by rackcast: the name /etc/network/interfaces uses for the NIC with this MAC.\n[Match]\nMACAddress=52:54:00:ab:cd:07\n\n[Link]\nName=eno1\n');
  assert.equal(changes.written.filter((p) => p.endsWith('.link')).length, 1);
});

test('networkd: name-matched files of the image stay (ours sort first); an enabled networkd without files gets ours', () => {
  const byName = file('/etc/systemd/network/20-wired.network', '[Match]\nName=en*\n\n[Network]\nDHCP=yes\n');
  const changes = planNetworkChanges(image({ interfaces: null, netplan: [], networkd: [byName] }), [nicSettings(DHCP, 'eth0')]);
  assert.deepEqual(changes.keptAsSource, []);
  assert.deepEqual(changes.written, ['/etc/systemd/network/05-rackcast-525400abcd07.network']);
  const enabled = planNetworkChanges(image({ interfaces: null, netplan: [], networkd: [], networkdEnabled: true }), [nicSettings(DHCP, 'eth0')]);
  assert.deepEqual(enabled.formats, ['systemd-networkd']);
});

test('a second run replaces its own files and keeps the first copy of the source\'s', () => {
  const existing = new Set(['/etc/network/interfaces', '/etc/network/interfaces.rackcast-source', '/etc/netplan/90-rackcast.yaml', '/etc/systemd/network/05-rackcast-525400abcd07.network']);
  const ours = file('/etc/netplan/90-rackcast.yaml', GOLDEN_NETPLAN.replace('50-golden', ''));
  const changes = planNetworkChanges(image({ netplan: [ours], networkd: [file('/etc/systemd/network/05-rackcast-525400abcd07.network', GOLDEN_NETWORKD)], existing }), [nicSettings(DHCP, 'eth0')]);
  assert.deepEqual(changes.edits.filter((e) => e.op !== 'write'), [{ op: 'remove', path: '/etc/network/interfaces' }]);
  assert.ok(changes.edits.every((e) => e.op !== 'write' || e.replace === (e.path !== '/etc/network/interfaces')));
});

test('a plan without NICs leaves the network configuration alone; an image without any format gets none', () => {
  assert.deepEqual(planNetworkChanges(image(), []), { formats: [], edits: [], written: [], keptAsSource: [] });
  assert.deepEqual(planNetworkChanges(image({ interfaces: null, netplan: [], networkd: [] }), [nicSettings(DHCP, 'eth0')]).formats, []);
});

test('debugfs ls -p lines: kind, permission bits, owner and size; . and .. left out', () => {
  const text = '/106/040755/0/0/.//\n/93/040755/0/0/..//\n/107/100600/0/0/ssh_host_ecdsa_key/171/\n/345/120777/0/0/machine-id/15/\n/348/100644/1000/100/a b/6/\n';
  assert.deepEqual(parseLsP(text), [
    { name: 'ssh_host_ecdsa_key', kind: 'file', mode: 0o600, uid: 0, gid: 0, size: 171 },
    { name: 'machine-id', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 15 },
    { name: 'a b', kind: 'file', mode: 0o644, uid: 1000, gid: 100, size: 6 },
  ]);
});
