/**
 * Which NIC of the target takes each network interface the captured system configured. Pure.
 * A restore onto the same machine keeps every MAC; a replacement has other MACs, so the
 * captured settings move: the NIC the source booted from goes to the NIC the target booted
 * from, the others follow in the order the profiles list them.
 */
import type { CapturedInterface } from '@rackcast/wire';

/** How a captured interface found its target NIC. */
export type NicMatch =
  /** The target has the very MAC the interface was captured with. */
  | 'same-mac'
  /** The source's boot NIC, moved to the target's boot NIC. */
  | 'boot-nic'
  /** The n-th remaining source NIC → the n-th remaining target NIC. */
  | 'order'
  /** No target NIC is left for it: its settings are not written. */
  | 'none'
  /** Another interface of the capture configures the same NIC, and wins. */
  | 'superseded';

/** One captured interface and where its settings go. */
export interface NicMapping {
  /** The captured configuration's name for it, e.g. "eth0". */
  readonly interface: string;
  /** Where it was configured, e.g. "ifupdown". */
  readonly source: CapturedInterface['source'];
  /** The source NIC it configured; '' when neither its configuration nor the profile tells. */
  readonly sourceMac: string;
  /** The target NIC that gets its settings; null when none. */
  readonly targetMac: string | null;
  readonly match: NicMatch;
  readonly mode: 'dhcp' | 'static';
  /** Static only: the address written, e.g. "10.0.0.5/24"; '' for DHCP. */
  readonly address: string;
  readonly gateway: string;
  readonly dns: readonly string[];
  /** What the technician should know, e.g. "2 more addresses not written"; '' when nothing. */
  readonly note: string;
}

/** The NICs of one side, as the mapping needs them. */
export interface NicSide {
  /** The MAC the machine boots (or was captured) from; '' when unknown. */
  readonly bootMac: string;
  /** Its NICs in profile order: MAC and kernel name. */
  readonly nics: readonly { readonly mac: string; readonly name: string }[];
}

/** MACs of a side, the boot NIC first, then profile order, without repeats or blanks. */
function bootFirst(side: NicSide, extra: readonly string[] = []): string[] {
  return [...new Set([side.bootMac, ...side.nics.map((n) => n.mac), ...extra].filter((m) => m !== ''))];
}

/** Source MAC → target MAC: same MACs first, then the rest paired in boot-first order. */
export function pairNics(source: NicSide, target: NicSide, extraSourceMacs: readonly string[] = []): Map<string, { mac: string; match: NicMatch }> {
  const src = bootFirst(source, extraSourceMacs);
  const tgt = bootFirst(target);
  const pairs = new Map<string, { mac: string; match: NicMatch }>();
  for (const mac of src.filter((m) => tgt.includes(m))) pairs.set(mac, { mac, match: 'same-mac' });
  const freeTarget = tgt.filter((m) => !pairs.has(m));
  for (const mac of src.filter((m) => !pairs.has(m))) {
    const next = freeTarget.shift();
    if (next === undefined) break;
    const boot = mac === source.bootMac && next === target.bootMac;
    pairs.set(mac, { mac: next, match: boot ? 'boot-nic' : 'order' });
  }
  return pairs;
}

/**
 * The source MAC each interface configured: its own MAC when its configuration matches on one;
 * else the source NIC of the same name; else the first source NIC no interface has claimed
 * (an ifupdown "eth0" on a machine whose kernel names differ is still its first NIC).
 */
function sourceMacs(interfaces: readonly CapturedInterface[], source: NicSide): string[] {
  const order = bootFirst(source);
  const claimed = new Set(interfaces.map((i) => i.mac.toLowerCase()).filter((m) => m !== ''));
  return interfaces.map((i) => {
    if (i.mac !== '') return i.mac.toLowerCase();
    const named = source.nics.find((n) => n.name === i.name && n.mac !== '');
    if (named) return named.mac;
    const free = order.find((m) => !claimed.has(m));
    if (free === undefined) return '';
    claimed.add(free);
    return free;
  });
}

function settings(i: CapturedInterface): Pick<NicMapping, 'mode' | 'address' | 'gateway' | 'dns' | 'note'> {
  const notes: string[] = [];
  if (i.dhcp6 && !i.dhcp4 && i.addresses.length === 0) notes.push('DHCPv6 only in the capture: written as DHCP');
  if (i.dhcp4 || i.addresses.length === 0) return { mode: 'dhcp', address: '', gateway: '', dns: [...i.dns], note: notes.join('; ') };
  if (i.addresses.length > 1) notes.push(`${i.addresses.length - 1} more address${i.addresses.length > 2 ? 'es' : ''} (${i.addresses.slice(1).join(', ')}) not written`);
  return { mode: 'static', address: i.addresses[0] as string, gateway: i.gateways[0] ?? '', dns: [...i.dns], note: notes.join('; ') };
}

/**
 * Maps each captured interface to a target NIC. When two interfaces configure the same NIC
 * (an ifupdown stanza by name and a networkd file by MAC), the one that names the MAC wins.
 */
export function mapNics(interfaces: readonly CapturedInterface[], source: NicSide, target: NicSide): NicMapping[] {
  const macs = sourceMacs(interfaces, source);
  const pairs = pairNics(source, target, macs);
  const taken = new Map<string, number>();
  const rows = interfaces.map((i, k): NicMapping => {
    const sourceMac = macs[k] ?? '';
    const pair = sourceMac === '' ? undefined : pairs.get(sourceMac);
    return { interface: i.name, source: i.source, sourceMac, targetMac: pair?.mac ?? null, match: pair?.match ?? 'none', ...settings(i) };
  });
  // The MAC-bound interface first, then capture order, decides which of two configures a NIC.
  const priority = rows.map((_, k) => k).sort((a, b) => Number(interfaces[a]?.mac === '') - Number(interfaces[b]?.mac === '') || a - b);
  for (const k of priority) {
    const mac = rows[k]?.targetMac;
    if (mac === null || mac === undefined) continue;
    const first = taken.get(mac);
    if (first === undefined) taken.set(mac, k);
    else rows[k] = { ...(rows[k] as NicMapping), match: 'superseded', note: `${rows[first]?.interface} (${rows[first]?.source}) configures ${mac} too and is used` };
  }
  return rows;
}
