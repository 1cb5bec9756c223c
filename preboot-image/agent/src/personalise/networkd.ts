import { macDigits, type NicSettings } from './nic-settings.js';

/**
 * The clone's networkd files sort before the image's ("05-" < "10-…"): networkd applies the first
 * file, in lexical order, that matches a link (systemd.network(5)), so these win over any
 * name-matched file of the image.
 */
export const networkdFileName = (nic: NicSettings): string => `05-rackcast-${macDigits(nic.mac)}.network`;

/** A systemd-networkd .network file for one NIC, matched by its MAC. */
export function renderNetworkd(nic: NicSettings): string {
  const lines = ['# Written by rackcast for this clone from its deploy plan.', '[Match]', `MACAddress=${nic.mac}`, '', '[Network]'];
  if (nic.mode === 'dhcp') lines.push('DHCP=ipv4');
  else {
    lines.push(`Address=${nic.address}`);
    if (nic.gateway !== '') lines.push(`Gateway=${nic.gateway}`);
  }
  for (const d of nic.dns) lines.push(`DNS=${d}`);
  return `${lines.join('\n')}\n`;
}

/** True when a .network file matches by MAC: it names the source machine's hardware, which a clone does not have. */
export function matchesByMac(text: string): boolean {
  return /^\s*(MACAddress|PermanentMACAddress)\s*=/m.test(text);
}
