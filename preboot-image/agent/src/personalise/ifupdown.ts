import type { NicSettings } from './nic-settings.js';

const HEADER = [
  '# Written by rackcast for this clone from its deploy plan: one stanza per NIC, named as the',
  "# image named its NICs. The source machine's file is kept as interfaces.rackcast-source.",
];

function stanza(nic: NicSettings): string[] {
  const out = [`# ${nic.mac}`, `allow-hotplug ${nic.name}`];
  if (nic.mode === 'dhcp') {
    out.push(`iface ${nic.name} inet dhcp`);
  } else {
    out.push(`iface ${nic.name} ${nic.address.includes(':') ? 'inet6' : 'inet'} static`, `\taddress ${nic.address}`);
    if (nic.gateway !== '') out.push(`\tgateway ${nic.gateway}`);
  }
  // dns-nameservers is read by resolvconf's ifupdown hook; without resolvconf it is ignored.
  if (nic.dns.length > 0) out.push(`\tdns-nameservers ${nic.dns.join(' ')}`);
  return out;
}

/**
 * /etc/network/interfaces (interfaces(5)) for the clone: the image's `source` and
 * `source-directory` lines, loopback, and one stanza per NIC. ifupdown has no MAC match, so each
 * stanza names the interface; the MAC stands in a comment above it (and a .link file pins the
 * name where udev reads them: see linkFile).
 */
export function renderInterfaces(imageText: string | null, nics: readonly NicSettings[]): string {
  const sources = (imageText ?? '').split('\n').filter((l) => /^\s*source(-directory)?\s/.test(l)).map((l) => l.trim());
  const lines = [...HEADER, '', ...sources, ...(sources.length ? [''] : []), 'auto lo', 'iface lo inet loopback'];
  for (const nic of nics) lines.push('', ...stanza(nic));
  return `${lines.join('\n')}\n`;
}

/** Kernel-style names (eth0) must not be given by udev: the kernel may hand the same name to another NIC (systemd.link(5), Name=). */
export const isKernelName = (name: string): boolean => /^eth\d+$/.test(name);

/** A systemd .link file that gives the NIC with this MAC its name (systemd.link(5)). */
export function linkFile(nic: NicSettings): string {
  return ['# Written by rackcast: the name /etc/network/interfaces uses for the NIC with this MAC.',
    '[Match]', `MACAddress=${nic.mac}`, '', '[Link]', `Name=${nic.name}`, ''].join('\n');
}
