import { isIP } from 'node:net';
import type { NicConfig } from '@rackcast/wire';
import { PersonaliseError } from './personalise-error.js';

/** A NIC of the plan, checked, with the interface name its configuration uses. */
export interface NicSettings {
  /** Lowercase colon form, e.g. "52:54:00:12:34:56". */
  readonly mac: string;
  /** e.g. "eth0", "eno1". */
  readonly name: string;
  readonly mode: 'dhcp' | 'static';
  /** Static only, e.g. "10.0.0.21/24"; '' for DHCP. */
  readonly address: string;
  readonly gateway: string;
  readonly dns: readonly string[];
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;
/** Linux interface names: 1–15 characters, no slash, colon or white space (dev_valid_name). */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

function bad(what: string): never {
  throw new PersonaliseError('RC_ERR_PERSONALISE_PLAN', `the plan's network settings cannot be written: ${what}; fix the machine record and deploy again`);
}

function checkAddress(nic: NicConfig): void {
  const [ip = '', prefix = '', ...rest] = nic.address.split('/');
  const family = isIP(ip);
  const max = family === 6 ? 128 : 32;
  if (family === 0 || rest.length > 0 || !/^\d{1,3}$/.test(prefix) || Number(prefix) > max) bad(`NIC ${nic.mac}: static address ${JSON.stringify(nic.address)} is not address/prefix`);
  if (nic.gateway !== '' && isIP(nic.gateway) === 0) bad(`NIC ${nic.mac}: gateway ${JSON.stringify(nic.gateway)} is not an IP address`);
}

/** Checks a plan NIC (nothing from the plan reaches a file unchecked) and gives it its name. */
export function nicSettings(nic: NicConfig, name: string): NicSettings {
  const mac = nic.mac.toLowerCase();
  if (!MAC.test(mac)) bad(`MAC ${JSON.stringify(nic.mac)} is not six colon-separated hex bytes`);
  if (!IFNAME.test(name)) bad(`interface name ${JSON.stringify(name)} is not a Linux interface name`);
  if (nic.mode === 'static') checkAddress(nic);
  for (const d of nic.dns) if (isIP(d) === 0) bad(`NIC ${mac}: DNS server ${JSON.stringify(d)} is not an IP address`);
  return { mac, name, mode: nic.mode, address: nic.mode === 'static' ? nic.address : '', gateway: nic.mode === 'static' ? nic.gateway : '', dns: [...nic.dns] };
}

/** The default route's destination for the gateway's family. */
export const defaultRoute = (gateway: string): string => (isIP(gateway) === 6 ? '::/0' : '0.0.0.0/0');

/** "52:54:00:12:34:56" → "525400123456", for file names. */
export const macDigits = (mac: string): string => mac.replaceAll(':', '');

/**
 * Interface names the image's own configuration uses, in order of appearance: ifupdown's
 * `iface` stanzas (not lo), then the names netplan gives (see netplanNames). A clone's first NIC
 * takes the first of them, so firewall rules and scripts that name it keep working.
 */
export function imageNicNames(interfaces: string | null, netplanNames: readonly string[]): string[] {
  const names: string[] = [];
  const add = (n: string | undefined): void => { if (n && n !== 'lo' && IFNAME.test(n) && !names.includes(n)) names.push(n); };
  for (const m of (interfaces ?? '').matchAll(/^\s*iface\s+(\S+)\s+inet6?\s/gm)) add(m[1]);
  for (const n of netplanNames) add(n);
  return names;
}

/** The name of the plan's i-th NIC: the image's i-th name, else the kernel's default eth<i>. */
export function nicName(index: number, imageNames: readonly string[]): string {
  return imageNames[index] ?? `eth${index}`;
}
