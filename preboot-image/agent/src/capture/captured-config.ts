import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CAPTURED_CONFIG_LIMITS, CAPTURED_CONFIG_SCHEMA_VERSION, type CapturedBootEntries, type CapturedConfig, type CapturedInterface, type FirmwareMode,
} from '@rackcast/wire';
import { commandLine, e2fsTarget, toolOutputTail, type ToolRunner } from '../disk/index.js';
import { Ext4Editor, readImageState, type ImageState } from '../personalise/index.js';
import { parseEfibootmgr } from './boot-entries.js';
import { EXT_TYPES } from './filesystem-probe.js';
import { parseIfupdown, parseNetplan, parseNetworkd } from './network-addresses.js';
import type { UsedMap } from './used-map.js';

export interface ConfigOptions {
  readonly runner: ToolRunner;
  /** sysfs of the machine, e.g. "/sys": UEFI is `<sysRoot>/firmware/efi`. */
  readonly sysRoot: string;
  readonly tmpDir: string;
  /** When reading began: the version's point in time. */
  readonly capturedAt: Date;
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** UEFI when the firmware left efivars' folder, BIOS when sysfs has firmware/ without it. */
async function firmwareMode(sysRoot: string): Promise<FirmwareMode> {
  if (await exists(join(sysRoot, 'firmware', 'efi'))) return 'uefi';
  return (await exists(join(sysRoot, 'firmware'))) ? 'bios' : 'unknown';
}

async function bootEntries(runner: ToolRunner, problems: string[]): Promise<CapturedBootEntries | null> {
  const run = await runner('efibootmgr', ['-v'], { timeoutMs: 60_000 });
  if (run.code === 0) return parseEfibootmgr(run.stdout);
  problems.push(`${commandLine('efibootmgr', ['-v'])} failed (exit ${String(run.code)}): ${toolOutputTail(run, 2)}`);
  return null;
}

/** The root file system: the first ext one whose /etc holds hostname, fstab or os-release. */
async function readRoot(source: string, map: UsedMap, o: ConfigOptions, problems: string[]): Promise<ImageState | null> {
  for (const fs of map.filesystems.filter((f) => EXT_TYPES.includes(f.type))) {
    const editor = new Ext4Editor(o.runner, e2fsTarget(source, fs.offset), o.tmpDir);
    try {
      const etc = (await editor.list(['/etc'])).get('/etc') ?? null;
      if (etc === null || !etc.some((e) => ['hostname', 'fstab', 'os-release'].includes(e.name))) continue;
      return await readImageState(editor);
    } catch (err) {
      problems.push(`partition ${String(fs.partition)}: cannot read its files with debugfs: ${(err as Error).message.slice(0, 200)}`);
    }
  }
  return null;
}

function interfacesOf(state: ImageState | null): CapturedInterface[] {
  if (state === null) return [];
  const n = state.network;
  const found = [
    ...(n.interfaces ? parseIfupdown(n.interfaces.text) : []),
    ...n.networkd.flatMap((f) => parseNetworkd(f.path.slice(f.path.lastIndexOf('/') + 1), f.text)),
    ...n.netplan.flatMap((f) => parseNetplan(f.text)),
  ];
  return found.slice(0, CAPTURED_CONFIG_LIMITS.interfaces);
}

/** First line of /etc/hostname, as hostname(5) reads it; "" when there is none. */
function hostnameOf(state: ImageState | null): string {
  const line = (state?.hostname?.text ?? '').split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#')) ?? '';
  return /^[a-z0-9.-]{1,253}$/i.test(line) ? line : '';
}

/**
 * The configuration recorded with a capture: the root file system's host name and network
 * settings (read with debugfs, nothing mounted), the layout and file systems the used-block map
 * found, the firmware mode and, on UEFI machines, the boot entries. What cannot be read is
 * listed in `problems`; the capture goes on without it.
 */
export async function readCapturedConfig(source: string, map: UsedMap, o: ConfigOptions): Promise<CapturedConfig> {
  const problems = [...map.problems];
  const mode = await firmwareMode(o.sysRoot);
  const boot = mode === 'uefi' ? await bootEntries(o.runner, problems) : null;
  const root = await readRoot(source, map, o, problems);
  if (root === null) problems.push('no ext root file system with /etc found: host name and addresses not recorded');
  return {
    schema: CAPTURED_CONFIG_SCHEMA_VERSION,
    capturedAt: o.capturedAt.toISOString(),
    hostname: hostnameOf(root),
    firmwareMode: mode,
    disk: { path: source.slice(0, CAPTURED_CONFIG_LIMITS.path), sizeBytes: map.diskSize },
    partitionTable: map.table,
    filesystems: map.filesystems.slice(0, CAPTURED_CONFIG_LIMITS.filesystems),
    interfaces: interfacesOf(root),
    bootEntries: boot,
    problems: problems.slice(0, CAPTURED_CONFIG_LIMITS.problems).map((p) => [...p].filter((c) => c >= ' ').join('').slice(0, CAPTURED_CONFIG_LIMITS.problem)),
  };
}
