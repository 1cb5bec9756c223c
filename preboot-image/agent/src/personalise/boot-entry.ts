import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { commandLine, type ToolRunner } from '../disk/index.js';
import { PersonaliseError } from './personalise-error.js';

/** The UEFI boot entry the plan asks for. */
export interface UefiBootEntry {
  readonly label: string;
  readonly partition: number;
  readonly loader: string;
}

/** What was done about the boot entry. */
export type BootEntryOutcome =
  | { readonly created: true; readonly command: string; readonly replaced: readonly string[] }
  | { readonly created: false; readonly reason: string };

/** efibootmgr's list: "Boot0003* label\t<device path>" (older versions: no tab and no path). */
export function entriesLabelled(list: string, label: string): string[] {
  const nums: string[] = [];
  for (const line of list.split('\n')) {
    const m = /^Boot([0-9A-Fa-f]{4})\*?\s+(.*)$/.exec(line.trimEnd());
    if (m?.[1] && (m[2] ?? '').split('\t')[0]?.trim() === label) nums.push(m[1].toUpperCase());
  }
  return nums;
}

/** UEFI device paths separate folders with backslashes (efibootmgr --loader); plans may use either. */
export const uefiLoaderPath = (loader: string): string => (loader.startsWith('/') || loader.startsWith('\\') ? loader : `/${loader}`).replaceAll('/', '\\');

async function efibootmgr(runner: ToolRunner, args: readonly string[]): Promise<string> {
  const run = await runner('efibootmgr', args, { timeoutMs: 60_000 });
  if (run.code !== 0) throw new PersonaliseError('RC_ERR_PERSONALISE_BOOT_ENTRY', `${commandLine('efibootmgr', args)} failed (exit ${String(run.code)}): ${run.stderr.trim() || run.stdout.trim()}. The clone is written; add its boot entry in the firmware setup, or check that efivarfs is mounted read-write.`);
  return run.stdout;
}

/**
 * Creates the clone's UEFI boot entry with efibootmgr, only on a machine the firmware booted by
 * UEFI (`<sysRoot>/firmware/efi` exists: efibootmgr writes the firmware's NVRAM, there is no
 * such thing to write on BIOS). Entries with the same label, left by an earlier deploy, are
 * removed first, so that re-deploying a machine does not pile them up. `--create` puts the
 * new entry first in BootOrder.
 */
export async function createUefiBootEntry(runner: ToolRunner, devicePath: string, entry: UefiBootEntry, sysRoot: string): Promise<BootEntryOutcome> {
  const uefi = await access(join(sysRoot, 'firmware', 'efi')).then(() => true, () => false);
  if (!uefi) return { created: false, reason: 'the machine was not booted by UEFI firmware' };
  const replaced = entriesLabelled(await efibootmgr(runner, []), entry.label);
  for (const num of replaced) await efibootmgr(runner, ['--bootnum', num, '--delete-bootnum']);
  const args = ['--create', '--disk', devicePath, '--part', String(entry.partition), '--label', entry.label, '--loader', uefiLoaderPath(entry.loader)];
  await efibootmgr(runner, args);
  return { created: true, command: commandLine('efibootmgr', args), replaced };
}
