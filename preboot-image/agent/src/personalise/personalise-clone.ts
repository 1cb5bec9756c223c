import { tmpdir } from 'node:os';
import type { DeployPlan } from '@rackcast/wire';
import { checkExt4At, e2fsTarget, readExt4Superblock, readPartitionTable, runTool, toolOutputTail, type StepLog, type ToolRunner } from '../disk/index.js';
import { createUefiBootEntry, type BootEntryOutcome } from './boot-entry.js';
import { Ext4Editor } from './ext4-editor.js';
import { checkHostname } from './hostname.js';
import { readImageState } from './image-state.js';
import { newMachineId } from './machine-id.js';
import { planNetworkChanges, type NetworkFormat } from './network-config.js';
import { imageNicNames, nicName, nicSettings } from './nic-settings.js';
import { netplanNames } from './netplan.js';
import { PersonaliseError } from './personalise-error.js';
import { identityEdits, type IdentityEdits } from './root-edits.js';

export interface PersonaliseOptions {
  /** Runs sfdisk, e2fsck, debugfs and efibootmgr; the real tools by default (tests record efibootmgr). */
  readonly runner?: ToolRunner;
  /** sysfs root: UEFI is detected by `<sysRoot>/firmware/efi`, e.g. "/sys" (the default). */
  readonly sysRoot?: string;
  /** Folder for scratch files, e.g. "/tmp" (the default: the OS's). */
  readonly tmpDir?: string;
  readonly log?: StepLog;
  /** Interface names for the plan's NICs, in order, e.g. ["eno1"]; default: the image's own names, else eth0, eth1 … */
  readonly nicNames?: readonly string[];
  /** Check the file system with `e2fsck -fn` after editing it (default true). */
  readonly verify?: boolean;
  /** Random bytes for the machine id (tests); crypto.randomBytes by default. */
  readonly random?: (n: number) => Uint8Array;
}

/** What personalisation did to the clone. */
export interface PersonaliseResult {
  /** The root file system edited; null when the plan names none. */
  readonly root: (Omit<IdentityEdits, 'edits'> & {
    readonly partition: number;
    readonly hostname: string;
    readonly network: { readonly formats: NetworkFormat[]; readonly written: string[]; readonly keptAsSource: string[] };
    /** Things left alone, e.g. "/etc/hostname is a symbolic link: left as it is". */
    readonly skipped: readonly string[];
    /** e2fsck replayed the journal (or fixed an unclean file system) before editing. */
    readonly recovered: boolean;
  }) | null;
  readonly uefiBootEntry: BootEntryOutcome | null;
}

async function e2fsck(runner: ToolRunner, args: readonly string[], ok: readonly number[]): Promise<void> {
  const run = await runner('e2fsck', args, { timeoutMs: 60 * 60_000 });
  if (run.code === null || !ok.includes(run.code)) {
    throw new PersonaliseError('RC_ERR_PERSONALISE_EDIT', `e2fsck ${args.join(' ')} found the clone's root file system damaged (exit ${String(run.code)}): ${toolOutputTail(run)}`);
  }
}

async function rootOffset(runner: ToolRunner, devicePath: string, partition: number): Promise<number> {
  const table = await readPartitionTable(runner, devicePath);
  const p = table.partitions.find((q) => q.number === partition);
  if (p === undefined) throw new PersonaliseError('RC_ERR_PERSONALISE_ROOT', `the plan's root partition ${partition} is not on ${devicePath} (it has ${table.partitions.map((q) => q.number).join(', ') || 'none'}); re-plan the deploy`);
  return p.start * table.sectorSize;
}

async function personaliseRoot(devicePath: string, plan: DeployPlan, partition: number, o: PersonaliseOptions): Promise<NonNullable<PersonaliseResult['root']>> {
  const runner = o.runner ?? runTool;
  const log = o.log ?? ((): void => undefined);
  const p = plan.personalise;
  checkHostname(p.hostname);
  const offset = await rootOffset(runner, devicePath, partition);
  const sb = await readExt4Superblock(devicePath, offset);
  if (sb === null) throw new PersonaliseError('RC_ERR_PERSONALISE_ROOT', `partition ${partition} of ${devicePath} holds no ext2/3/4 file system; the agent personalises ext root file systems only`);
  const target = e2fsTarget(devicePath, offset);
  // Edits made beside an unreplayed journal would be undone by its replay at first mount.
  const recovered = sb.needsRecovery || !sb.clean;
  if (recovered) {
    await checkExt4At(runner, devicePath, offset, `partition ${partition} of ${devicePath}`).catch((err: unknown) => {
      throw new PersonaliseError('RC_ERR_PERSONALISE_EDIT', `the clone's root file system could not be checked before editing: ${(err as Error).message}`, { cause: err });
    });
  }
  const editor = new Ext4Editor(runner, target, o.tmpDir ?? tmpdir());
  const state = await readImageState(editor);
  const names = o.nicNames ?? imageNicNames(state.network.interfaces?.text ?? null, state.network.netplan.flatMap((f) => netplanNames(f.text)));
  const nics = p.nics.map((nic, i) => nicSettings(nic, nicName(i, names)));
  const identity = identityEdits(state, p, newMachineId(o.random));
  const network = planNetworkChanges(state.network, nics);
  log(`personalising partition ${partition}: hostname ${p.hostname}, ${nics.length} NICs (${network.formats.join(', ') || 'no network configuration format found'})`);
  await editor.apply([...identity.edits, ...network.edits]);
  if (o.verify ?? true) await e2fsck(runner, ['-f', '-n', target], [0]);
  const { edits: _edits, ...summary } = identity;
  return { ...summary, partition, hostname: p.hostname, network: { formats: network.formats, written: network.written, keptAsSource: network.keptAsSource }, skipped: state.skipped, recovered };
}

/**
 * Personalises the restored clone before its first boot, on its root ext file system (edited by
 * debugfs, unmounted): /etc/hostname and the 127.0.1.1 line of /etc/hosts; network settings for
 * each NIC of the plan keyed to its MAC, in every format the image uses (ifupdown,
 * systemd-networkd, netplan); a fresh /etc/machine-id (an empty or "uninitialized" one is left
 * for systemd to fill); /etc/ssh/ssh_host_* removed. Then, on a UEFI-booted machine, the boot
 * entry with efibootmgr. Every plan value is checked before the first write.
 */
export async function personaliseClone(devicePath: string, plan: DeployPlan, options: PersonaliseOptions = {}): Promise<PersonaliseResult> {
  const p = plan.personalise;
  const root = p.rootPartition === null ? null : await personaliseRoot(devicePath, plan, p.rootPartition, options);
  const uefiBootEntry = p.uefiBootEntry === null ? null : await createUefiBootEntry(options.runner ?? runTool, devicePath, p.uefiBootEntry, options.sysRoot ?? '/sys');
  if (uefiBootEntry !== null) options.log?.(uefiBootEntry.created ? `created the UEFI boot entry: ${uefiBootEntry.command}` : `no UEFI boot entry: ${uefiBootEntry.reason}`);
  return { root, uefiBootEntry };
}
