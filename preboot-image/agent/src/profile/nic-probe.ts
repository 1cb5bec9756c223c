import { networkInterfaces } from 'node:os';
import { PROFILE_LIMITS, type NicProfile } from '@rackcast/wire';
import { cleanText } from './clean-text.js';
import { hardwarePath, type Sysfs } from './sysfs.js';

/** Addresses (with prefix length) of an interface by name; os.networkInterfaces() by default. */
export type AddressSource = (name: string) => string[];

export const systemAddresses: AddressSource = (name) =>
  (networkInterfaces()[name] ?? []).map((a) => a.cidr).filter((c): c is string => c !== null);

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5,19}$/;

async function readNic(sys: Sysfs, name: string, addresses: AddressSource): Promise<NicProfile | null> {
  const base = `class/net/${name}`;
  const resolved = await sys.resolve(base);
  const sysfsPath = hardwarePath(resolved);
  if (sysfsPath === '') return null; // lo, bridges, bonds, veth, tun: not hardware
  const [mac, driver, speed, carrier, operstate, mtu] = await Promise.all([
    sys.text(`${base}/address`), sys.linkName(`${base}/device/driver`), sys.integer(`${base}/speed`),
    sys.integer(`${base}/carrier`), sys.text(`${base}/operstate`), sys.integer(`${base}/mtu`),
  ]);
  const lowerMac = (mac ?? '').toLowerCase();
  return {
    name,
    mac: MAC.test(lowerMac) ? lowerMac : '',
    driver: cleanText(driver),
    // The kernel reports -1 (or refuses the read) while the link is down or the speed unknown.
    speedMbps: speed !== null && speed > 0 ? speed : null,
    carrier: carrier === null ? null : carrier === 1,
    operstate: cleanText(operstate),
    mtu: mtu !== null && mtu > 0 ? mtu : 0,
    sysfsPath,
    addresses: addresses(name).map((a) => a.toLowerCase()).slice(0, PROFILE_LIMITS.addresses),
  };
}

/** Every hardware network interface in /sys/class/net with its MAC, driver and link state. */
export async function readNics(sys: Sysfs, addresses: AddressSource = systemAddresses): Promise<NicProfile[]> {
  const nics = await Promise.all((await sys.list('class/net')).map((name) => readNic(sys, name, addresses)));
  return nics.filter((n): n is NicProfile => n !== null);
}
