import type { CapturedPartitionTable } from '@rackcast/wire';
import { parseSfdiskJson } from '../disk/index.js';

interface SfdiskExtra {
  readonly partitiontable?: {
    readonly id?: unknown; readonly firstlba?: unknown;
    readonly partitions?: readonly { readonly uuid?: unknown; readonly name?: unknown; readonly attrs?: unknown; readonly bootable?: unknown }[];
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);

/**
 * `sfdisk --json` output → the partition layout a capture records, with what a restore or a
 * person needs beyond start and size: disk id, partition UUIDs, names, attributes, boot flag.
 * Validation (numbers, label) is parseSfdiskJson's; it throws RC_ERR_DISK_LAYOUT.
 */
export function parseSfdiskLayout(text: string, devicePath: string): CapturedPartitionTable {
  const table = parseSfdiskJson(text, devicePath);
  const extra = (JSON.parse(text) as SfdiskExtra).partitiontable;
  const parts = extra?.partitions ?? [];
  return {
    label: table.label,
    id: str(extra?.id),
    sectorSize: table.sectorSize,
    firstLba: table.label === 'gpt' ? count(extra?.firstlba) : null,
    lastLba: table.lastLba,
    partitions: table.partitions.map((p, i) => ({
      number: p.number, start: p.start, size: p.size, type: p.type,
      uuid: str(parts[i]?.uuid), name: str(parts[i]?.name), attrs: str(parts[i]?.attrs), bootable: parts[i]?.bootable === true,
    })),
  };
}
