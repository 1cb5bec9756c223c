import { CAPTURED_CONFIG_LIMITS, type CapturedInterface, type NetworkSource } from '@rackcast/wire';

/** An interface being collected; fields as in CapturedInterface but growable. */
interface Draft {
  name: string;
  mac: string;
  source: NetworkSource;
  dhcp4: boolean;
  dhcp6: boolean;
  addresses: string[];
  gateways: string[];
  dns: string[];
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const IP = /^[0-9a-f:.]{2,45}(?:\/\d{1,3})?$/;
const draft = (name: string, source: NetworkSource): Draft => ({ name, mac: '', source, dhcp4: false, dhcp6: false, addresses: [], gateways: [], dns: [] });

function addIp(list: string[], value: string): void {
  const v = value.trim().replace(/^["']|["']$/g, '').toLowerCase();
  if (IP.test(v) && !list.includes(v) && list.length < CAPTURED_CONFIG_LIMITS.addresses) list.push(v);
}

function setMac(d: Draft, value: string): void {
  const mac = value.trim().replace(/^["']|["']$/g, '').toLowerCase().replaceAll('-', ':');
  if (MAC.test(mac)) d.mac = mac;
}

/** Dotted netmask → prefix length ("255.255.255.0" → 24); null when it is not a netmask. */
export function netmaskPrefix(mask: string): number | null {
  if (/^\d{1,3}$/.test(mask)) return Number(mask) <= 128 ? Number(mask) : null;
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  const bits = parts.reduce((n, p) => n * 256 + p, 0).toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') === -1 ? 32 : bits.indexOf('0') : null;
}

const done = (drafts: Iterable<Draft>): CapturedInterface[] => [...drafts].filter((d) => d.name !== 'lo').slice(0, CAPTURED_CONFIG_LIMITS.interfaces);

/**
 * Interfaces configured in /etc/network/interfaces (interfaces(5)): `iface <name> inet|inet6
 * <method>` stanzas with `address` (CIDR, or with `netmask`), `gateway`, `dns-nameservers` and
 * `hwaddress`. Files pulled in with `source` are not followed.
 */
export function parseIfupdown(text: string): CapturedInterface[] {
  const byName = new Map<string, Draft>();
  let current: Draft | null = null;
  let family: 'inet' | 'inet6' = 'inet';
  let pendingMask: { address: string; at: number } | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const [key = '', ...rest] = line.split(/\s+/);
    if (key === 'iface' && rest.length >= 3) {
      current = byName.get(rest[0] ?? '') ?? draft(rest[0] ?? '', 'ifupdown');
      byName.set(current.name, current);
      family = rest[1] === 'inet6' ? 'inet6' : 'inet';
      if (rest[2] === 'dhcp') current[family === 'inet6' ? 'dhcp6' : 'dhcp4'] = true;
      if (rest[2] === 'auto' && family === 'inet6') current.dhcp6 = true;
      pendingMask = null;
      continue;
    }
    if (/^(auto|allow-|source|mapping|iface|no-)/.test(key)) { current = null; continue; }
    if (current === null || rest.length === 0) continue;
    if (key === 'address') {
      const value = rest[0] ?? '';
      addIp(current.addresses, value);
      pendingMask = value.includes('/') ? null : { address: value, at: current.addresses.length - 1 };
    } else if (key === 'netmask' && pendingMask !== null) {
      const prefix = netmaskPrefix(rest[0] ?? '');
      if (prefix !== null) current.addresses[pendingMask.at] = `${pendingMask.address.toLowerCase()}/${prefix}`;
    } else if (key === 'gateway') addIp(current.gateways, rest[0] ?? '');
    else if (key === 'dns-nameservers') rest.forEach((v) => addIp(current?.dns ?? [], v));
    else if (key === 'hwaddress') setMac(current, rest[rest.length - 1] ?? '');
  }
  return done(byName.values());
}

/**
 * One systemd-networkd .network file (systemd.network(5)): [Match] Name=/MACAddress=, [Network]
 * Address=, Gateway=, DNS=, DHCP=, and [Address]/[Route] sections. A file matching by MAC only is
 * named after the file ("10-lan.network" → "10-lan").
 */
export function parseNetworkd(fileName: string, text: string): CapturedInterface[] {
  const d = draft(fileName.replace(/\.network$/, ''), 'systemd-networkd');
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';') || line === '') continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) { section = header[1] ?? ''; continue; }
    const kv = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    const [, key = '', value = ''] = kv;
    if (section === 'Match' && key === 'Name' && value.trim() !== '') d.name = value.trim().split(/\s+/)[0] ?? d.name;
    else if (section === 'Match' && (key === 'MACAddress' || key === 'PermanentMACAddress')) setMac(d, value.split(/\s+/)[0] ?? '');
    else if ((section === 'Network' || section === 'Address') && key === 'Address') value.split(/\s+/).forEach((v) => addIp(d.addresses, v));
    else if ((section === 'Network' || section === 'Route') && key === 'Gateway') addIp(d.gateways, value);
    else if (section === 'Network' && key === 'DNS') value.split(/\s+/).forEach((v) => addIp(d.dns, v));
    else if (section === 'Network' && key === 'DHCP') {
      const v = value.trim().toLowerCase();
      d.dhcp4 = ['yes', 'true', 'ipv4', 'both'].includes(v);
      d.dhcp6 = ['yes', 'true', 'ipv6', 'both'].includes(v);
    }
  }
  return done([d]);
}

const indentOf = (line: string): number => line.length - line.trimStart().length;
const NETPLAN_SECTIONS = ['ethernets', 'bonds', 'bridges', 'vlans', 'wifis'];

/** `[a, "b"]` or a scalar → its items. */
const flowItems = (value: string): string[] => value.replace(/^\[|\]$/g, '').split(',').map((v) => v.trim().replace(/^["']|["']$/g, '')).filter(Boolean);

/** Applies one `key: value` (or list item under `key`) of an interface entry. */
function applyNetplan(d: Draft, path: readonly string[], value: string): void {
  const key = path[path.length - 1] ?? '';
  const parent = path[path.length - 2] ?? '';
  if (key === 'dhcp4') d.dhcp4 = /^(true|yes|on)$/i.test(value);
  else if (key === 'dhcp6') d.dhcp6 = /^(true|yes|on)$/i.test(value);
  else if (key === 'addresses' && parent === 'nameservers') flowItems(value).forEach((v) => addIp(d.dns, v));
  else if (key === 'addresses') flowItems(value).forEach((v) => addIp(d.addresses, v));
  else if (key === 'gateway4' || key === 'gateway6' || (key === 'via' && path.includes('routes'))) addIp(d.gateways, value);
  else if (key === 'macaddress' && parent === 'match') setMac(d, value);
  else if (key === 'set-name') d.name = value.replace(/^["']|["']$/g, '') || d.name;
}

/**
 * Interfaces of a netplan file (netplan.io YAML: network → ethernets/bonds/bridges/vlans → id →
 * addresses, dhcp4/6, gateway4/6, routes[].via, nameservers.addresses, match.macaddress,
 * set-name). A small reading of the YAML by indentation, block and flow lists alike, enough for
 * netplan's own layout; anything it cannot read yields no interface rather than a wrong one.
 */
export function parseNetplan(text: string): CapturedInterface[] {
  const drafts: Draft[] = [];
  const lines = text.split('\n').map((l) => l.replace(/\s+#.*$/, '')).filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  let sectionIndent = -1;
  let entryIndent = -1;
  let entry: Draft | null = null;
  const stack: { indent: number; key: string }[] = [];
  for (const line of lines) {
    const indent = indentOf(line);
    const body = line.trim();
    // A key is followed by ": " or ends the line, so "- 2001:db8::5/64" is a list item, not a key.
    const kv = /^(?:-\s+)?["']?([\w.-]+)["']?:(?:\s+(.*))?$/.exec(body);
    if (sectionIndent >= 0 && indent <= sectionIndent) { sectionIndent = -1; entry = null; }
    if (sectionIndent < 0) {
      if (kv && NETPLAN_SECTIONS.includes(kv[1] ?? '') && (kv[2] ?? '') === '') { sectionIndent = indent; entryIndent = -1; }
      continue;
    }
    if (entryIndent < 0) entryIndent = indent;
    if (indent === entryIndent && kv) {
      entry = draft(kv[1] ?? '', 'netplan');
      drafts.push(entry);
      stack.length = 0;
      continue;
    }
    if (entry === null) continue;
    while (stack.length > 0 && (stack[stack.length - 1]?.indent ?? 0) >= indent) stack.pop();
    const listItem = /^-\s+(.*)$/.exec(body);
    if (kv) {
      // "- to: default" opens a list item whose keys sit deeper: keep the list's key on the stack.
      if (body.startsWith('-')) stack.push({ indent, key: '-' });
      if ((kv[2] ?? '') === '') stack.push({ indent: indent + (body.startsWith('-') ? 2 : 0), key: kv[1] ?? '' });
      else applyNetplan(entry, [...stack.map((s) => s.key), kv[1] ?? ''], kv[2] ?? '');
    } else if (listItem) {
      applyNetplan(entry, stack.map((s) => s.key), listItem[1] ?? '');
    }
  }
  return done(drafts);
}
