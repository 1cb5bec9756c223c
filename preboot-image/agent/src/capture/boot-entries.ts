import { CAPTURED_CONFIG_LIMITS, type CapturedBootEntries, type CapturedBootEntry } from '@rackcast/wire';

/**
 * `efibootmgr -v` output → the firmware's boot configuration: "BootCurrent: 0003",
 * "BootOrder: 0003,0001", and one line per entry, "Boot0003* debian<TAB>HD(…)/File(…)" (the "*"
 * marks an active entry; efibootmgr before 18 separates label and path with spaces, so without
 * a tab the device path is recognised by its leading node type).
 */
export function parseEfibootmgr(text: string): CapturedBootEntries {
  const current = /^BootCurrent:\s*([0-9A-Fa-f]{4})\s*$/m.exec(text)?.[1]?.toUpperCase() ?? '';
  const orderText = /^BootOrder:\s*([0-9A-Fa-f,]*)\s*$/m.exec(text)?.[1] ?? '';
  const order = orderText.split(',').filter((n) => /^[0-9A-Fa-f]{4}$/.test(n)).map((n) => n.toUpperCase()).slice(0, CAPTURED_CONFIG_LIMITS.bootEntries);
  const entries: CapturedBootEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^Boot([0-9A-Fa-f]{4})(\*?)\s+(.*)$/.exec(line.trimEnd());
    if (!m || entries.length >= CAPTURED_CONFIG_LIMITS.bootEntries) continue;
    const [label, path] = splitLabel(m[3] ?? '');
    entries.push({ number: (m[1] ?? '').toUpperCase(), label: clip(label, CAPTURED_CONFIG_LIMITS.text), active: m[2] === '*', path: clip(path, CAPTURED_CONFIG_LIMITS.path) });
  }
  return { current, order, entries };
}

const DEVICE_PATH = /\s+((?:HD|PciRoot|Acpi|BBS|VenHw|VenMedia|FvVol|FvFile|MAC|Uri|USB|Sata|NVMe|Scsi)\(.*)$/;

function splitLabel(rest: string): [string, string] {
  const tab = rest.indexOf('\t');
  if (tab >= 0) return [rest.slice(0, tab).trim(), rest.slice(tab + 1).trim()];
  const m = DEVICE_PATH.exec(rest);
  return m ? [rest.slice(0, m.index).trim(), (m[1] ?? '').trim()] : [rest.trim(), ''];
}

/** Cuts to the schema's bound and drops control characters, which the server refuses. */
function clip(text: string, max: number): string {
  let out = '';
  for (const ch of text) if (ch >= ' ' && ch !== '\u007f') out += ch;
  return out.slice(0, max);
}
