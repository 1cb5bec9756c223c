/**
 * Static addresses for a deploy: the technician gives the first member's address with its
 * prefix ("10.0.1.21/24"); member n gets the n-th address from there. Pure; IPv4.
 */

/** What a deploy asks for instead of DHCP on each clone's boot NIC. */
export interface StaticAddressing {
  /** The first member's address with prefix length, e.g. "10.0.1.21/24". */
  readonly first: string;
  /** Default gateway; '' for none. */
  readonly gateway: string;
  readonly dns: readonly string[];
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** "a.b.c.d/p" → address as a number and prefix; null when not a valid IPv4 CIDR. */
export function parseCidr(text: string): { address: number; prefix: number } | null {
  const m = CIDR.exec(text);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix < 1 || prefix > 30) return null;
  return { address: octets.reduce((n, o) => n * 256 + o, 0), prefix };
}

function dotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * The address of member `index` (1-based), or null when it would leave the subnet or land on
 * its broadcast address (the pool is too small for the group).
 */
export function memberAddress(first: string, index: number): string | null {
  const parsed = parseCidr(first);
  if (parsed === null || !Number.isInteger(index) || index < 1) return null;
  const size = 2 ** (32 - parsed.prefix);
  const network = parsed.address - (parsed.address % size);
  const address = parsed.address + index - 1;
  if (address <= network || address >= network + size - 1) return null;
  return `${dotted(address)}/${parsed.prefix}`;
}
