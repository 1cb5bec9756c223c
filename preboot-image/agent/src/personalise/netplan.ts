import { defaultRoute, type NicSettings } from './nic-settings.js';

export const NETPLAN_FILE = '90-rackcast.yaml';

function ethernet(nic: NicSettings): string[] {
  const out = [`    ${nic.name}:`, '      match:', `        macaddress: "${nic.mac}"`, `      set-name: ${nic.name}`];
  if (nic.mode === 'dhcp') out.push('      dhcp4: true');
  else {
    out.push('      addresses:', `        - "${nic.address}"`);
    // routes/to/via (not the deprecated gateway4/6); an explicit prefix works on netplan before 0.103 too.
    if (nic.gateway !== '') out.push('      routes:', `        - to: "${defaultRoute(nic.gateway)}"`, `          via: "${nic.gateway}"`);
  }
  if (nic.dns.length > 0) out.push('      nameservers:', `        addresses: [${nic.dns.map((d) => `"${d}"`).join(', ')}]`);
  return out;
}

/**
 * A netplan file with every NIC matched by its MAC and named (`set-name`), keeping the image's
 * renderer (networkd or NetworkManager) when it named one.
 */
export function renderNetplan(nics: readonly NicSettings[], renderer: string | null): string {
  const lines = ['# Written by rackcast for this clone from its deploy plan: each NIC matched by its MAC.', 'network:', '  version: 2'];
  if (renderer !== null) lines.push(`  renderer: ${renderer}`);
  lines.push('  ethernets:', ...nics.flatMap(ethernet));
  return `${lines.join('\n')}\n`;
}

/** The renderer an image's netplan file names at the top of `network:` (e.g. "networkd"); null when none. */
export function netplanRenderer(text: string): string | null {
  const value = /^\s*renderer:\s*["']?(networkd|NetworkManager)["']?\s*$/m.exec(text)?.[1];
  return value ?? null;
}

/** True when a netplan file configures Ethernet NICs: those are the source machine's, and the plan replaces them. */
export function configuresEthernets(text: string): boolean {
  return /^\s*ethernets:/m.test(text);
}

const indentOf = (line: string): number => line.length - line.trimStart().length;

/**
 * Interface names a netplan file gives its Ethernet NICs, in order: `set-name:` when an entry has
 * one, else the entry's id when it has no `match:` (then the id is the name). A small reading of
 * the YAML by indentation, enough for netplan's own layout; anything else yields no name.
 */
export function netplanNames(text: string): string[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const start = lines.findIndex((l) => /^\s*ethernets:\s*$/.test(l));
  if (start < 0) return [];
  const base = indentOf(lines[start] ?? '');
  const names: string[] = [];
  let entry: { id: string; setName: string | null; match: boolean } | null = null;
  let entryIndent = -1;
  const flush = (): void => { if (entry) { const n = entry.setName ?? (entry.match ? null : entry.id); if (n) names.push(n); } };
  for (const line of lines.slice(start + 1)) {
    const indent = indentOf(line);
    if (indent <= base) break;
    if (entryIndent < 0) entryIndent = indent;
    const key = /^\s*["']?([^"':\s]+)["']?:\s*(.*)$/.exec(line);
    if (indent === entryIndent && key) {
      flush();
      entry = { id: key[1] ?? '', setName: null, match: false };
    } else if (entry && key?.[1] === 'set-name') entry.setName = (key[2] ?? '').replace(/["']/g, '').trim() || null;
    else if (entry && key?.[1] === 'match') entry.match = true;
  }
  flush();
  return names;
}
