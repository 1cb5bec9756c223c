import {
  DEPLOY_PLAN_SCHEMA_VERSION,
  type DeployPlan, type DiskIdentity, type DiskProfile, type LayoutFit, type MachineProfile, type NicConfig, type Personalisation,
} from '@rackcast/wire';
import type { FactPartition, ImageFacts } from './image-facts.js';
import { memberAddress, type StaticAddressing } from './static-address.js';

/** Which NICs of the clone get a configuration: the one it booted from (default), or every NIC. */
export type NicPolicy = 'boot-dhcp' | 'all-dhcp';

export interface PlanOptions {
  /** The clone's host name, e.g. "rack1-3"; null when the pattern gave nothing valid for this machine. */
  readonly hostname: string | null;
  readonly nics: NicPolicy;
  /** Static addresses on the boot NIC instead of DHCP (member `memberIndex` gets the n-th); null: DHCP. */
  readonly staticAddress?: StaticAddressing | null;
  /** The machine's 1-based place in the deploy (for its static address). */
  readonly memberIndex?: number;
  /** A restore's kept identity instead of a clone's fresh one; null or absent: a clone. */
  readonly identity?: KeptIdentity | null;
}

/**
 * What a restore brings back instead of making a new clone (restore/plan-recovery.ts): the
 * captured host's own network settings, already mapped to this machine's MACs, and its
 * machine-id and SSH host keys left as captured, because it is the same host coming back.
 */
export interface KeptIdentity {
  readonly nics: readonly NicConfig[];
  readonly newMachineId: boolean;
  readonly removeSshHostKeys: boolean;
  /** The UEFI boot entry's label, e.g. the captured "debian"; default the host name. */
  readonly bootLabel?: string;
}

/** The machine as the planner sees it: its boot MAC and its uploaded profile. */
export interface PlanMachine {
  readonly mac: string;
  readonly profile: MachineProfile;
}

/** Why a machine cannot take the image: a stable code and a message for the technician. */
export interface PlanRefusal {
  readonly code: 'RC_ERR_PLAN_NO_DISK' | 'RC_ERR_PLAN_DISK_TOO_SMALL' | 'RC_ERR_PLAN_DISK_AMBIGUOUS' | 'RC_ERR_PLAN_HOSTNAME' | 'RC_ERR_PLAN_ADDRESS' | 'RC_ERR_RESTORE_REFUSED';
  readonly message: string;
}

/** A plan with the reasons behind its choices (shown with it), or a refusal. */
export type PlanResult =
  | { readonly ok: true; readonly plan: DeployPlan; readonly reasons: readonly string[] }
  | { readonly ok: false; readonly refusal: PlanRefusal };

/** UEFI removable-media boot paths by architecture (UEFI 2.10 §3.5.1.1); a restored ESP carries one. */
const UEFI_LOADERS: Readonly<Record<string, string>> = { x86_64: '\\EFI\\BOOT\\BOOTX64.EFI', aarch64: '\\EFI\\BOOT\\BOOTAA64.EFI', i686: '\\EFI\\BOOT\\BOOTIA32.EFI' };

function gib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function describeDisk(d: DiskProfile): string {
  return `${d.name} (${gib(d.sizeBytes)}${d.serial ? `, serial ${d.serial}` : ''})`;
}

function identity(d: DiskProfile): DiskIdentity {
  return { serial: d.serial, wwn: d.wwn, sizeBytes: d.sizeBytes, model: d.model, nameHint: d.name };
}

type DiskChoice = { readonly disk: DiskProfile; readonly reasons: string[] } | { readonly refusal: PlanRefusal };

/**
 * The target: a fixed (non-removable, writable) disk at least as large as the image's used end;
 * with several, the smallest that fits, so a large data disk is not taken for a small image.
 * Removable disks (USB sticks, card readers) are never written.
 */
export function chooseTargetDisk(disks: readonly DiskProfile[], need: number): DiskChoice {
  const fixed = disks.filter((d) => !d.removable && !d.readOnly);
  const skipped = disks.filter((d) => d.removable || d.readOnly).map((d) => `${describeDisk(d)} is ${d.removable ? 'removable' : 'read-only'}: never written`);
  if (fixed.length === 0) {
    const message = disks.length === 0 ? 'the machine reports no disks; check the disk controller and its driver' : `the machine has no fixed disk: ${skipped.join('; ')}`;
    return { refusal: { code: 'RC_ERR_PLAN_NO_DISK', message } };
  }
  const fits = fixed.filter((d) => d.sizeBytes >= need).sort((a, b) => a.sizeBytes - b.sizeBytes || a.name.localeCompare(b.name));
  const disk = fits[0];
  if (disk === undefined) {
    const largest = [...fixed].sort((a, b) => b.sizeBytes - a.sizeBytes)[0] as DiskProfile;
    return { refusal: { code: 'RC_ERR_PLAN_DISK_TOO_SMALL', message: `the image needs ${need} bytes (${gib(need)}) but the largest fixed disk, ${describeDisk(largest)}, has ${largest.sizeBytes}; use a larger disk or a smaller image` } };
  }
  if (disk.serial === '' && disk.wwn === '' && fixed.some((d) => d !== disk && d.sizeBytes === disk.sizeBytes && d.serial === '' && d.wwn === '')) {
    return { refusal: { code: 'RC_ERR_PLAN_DISK_AMBIGUOUS', message: `${disk.name} and another disk of the same size have neither serial nor WWN: the agent could not tell them apart; remove one or give them serials` } };
  }
  const others = fixed.filter((d) => d !== disk).map(describeDisk);
  const why = fixed.length === 1
    ? `target ${describeDisk(disk)}: the only fixed disk`
    : `target ${describeDisk(disk)}: the smallest of ${fits.length} fixed disks that hold the image's ${gib(need)}; left untouched: ${others.join(', ')}`;
  return { disk, reasons: [why, ...skipped] };
}

/** The last partition is grown (or shrunk) to the disk's end when it holds ext4; anything else keeps its size. */
function fitLayout(image: ImageFacts, targetBytes: number): { layout: LayoutFit; reason: string } {
  const last = [...image.partitions].sort((a, b) => b.startBytes + b.sizeBytes - (a.startBytes + a.sizeBytes))[0];
  if (image.table === 'none' || last === undefined) return { layout: { resizePartition: null, filesystem: 'none' }, reason: 'no partition table: the layout is written as it is' };
  if (targetBytes === image.diskBytes) return { layout: { resizePartition: null, filesystem: 'none' }, reason: 'the disk is the image\'s size: every partition keeps its size' };
  if (last.filesystem !== 'ext4') {
    return { layout: { resizePartition: null, filesystem: 'none' }, reason: `the last partition (${last.number}, ${last.kind}) holds no ext4 filesystem: every partition keeps its size${image.table === 'gpt' ? '; the backup GPT moves to the disk\'s end' : ''}` };
  }
  const change = targetBytes > image.diskBytes ? `grows by ${gib(targetBytes - image.diskBytes)}` : `shrinks by ${gib(image.diskBytes - targetBytes)}`;
  return { layout: { resizePartition: last.number, filesystem: 'ext4' }, reason: `partition ${last.number} (ext4${last.label ? ` "${last.label}"` : ''}) ${change} to the disk's end, with its filesystem` };
}

/** The root filesystem: the ext4 partition labelled "root", else the largest ext4 partition. */
function findRoot(partitions: readonly FactPartition[]): FactPartition | null {
  const ext4 = partitions.filter((p) => p.filesystem === 'ext4' && p.kind !== 'esp');
  return ext4.find((p) => p.label === 'root') ?? [...ext4].sort((a, b) => b.sizeBytes - a.sizeBytes)[0] ?? null;
}

/** The boot NIC gets the static address when one is given; every other configured NIC DHCP. */
function nicConfigs(machine: PlanMachine, policy: NicPolicy, bootStatic: NicConfig | null): NicConfig[] {
  const dhcp = (mac: string): NicConfig => ({ mac, mode: 'dhcp', address: '', gateway: '', dns: [] });
  const boot = bootStatic ?? dhcp(machine.mac);
  if (policy === 'boot-dhcp') return [boot];
  const macs = machine.profile.nics.map((n) => n.mac).filter((m) => m !== '' && m !== machine.mac);
  return [boot, ...[...new Set(macs)].map(dhcp)];
}

/** The boot NIC's static configuration, or a refusal when the pool has no address for this member. */
function staticNic(machine: PlanMachine, options: PlanOptions): NicConfig | PlanRefusal | null {
  const s = options.staticAddress;
  if (!s) return null;
  const index = options.memberIndex ?? 1;
  const address = memberAddress(s.first, index);
  if (address === null) {
    return { code: 'RC_ERR_PLAN_ADDRESS', message: `no static address for machine ${index} from ${s.first}: it would leave the subnet; give a first address with room for the whole group` };
  }
  return { mac: machine.mac, mode: 'static', address, gateway: s.gateway, dns: [...s.dns] };
}

function uefiEntry(image: ImageFacts, machine: PlanMachine, label: string, reasons: string[]): Personalisation['uefiBootEntry'] {
  if (machine.profile.firmware.mode !== 'uefi') return null;
  const esp = image.partitions.find((p) => p.kind === 'esp');
  if (esp === undefined) {
    reasons.push('the image has no EFI System Partition: this UEFI machine can boot it only through legacy BIOS (CSM)');
    return null;
  }
  const loader = UEFI_LOADERS[machine.profile.cpu.architecture] ?? (UEFI_LOADERS['x86_64'] as string);
  reasons.push(`UEFI boot entry "${label}" for ${loader} on partition ${esp.number}`);
  return { label, partition: esp.number, loader };
}

/**
 * Plans one machine's restore of an image (pure): the target disk, how the layout is fitted to
 * it, and the personalisation. Refuses, with the reason, a machine the image cannot go onto.
 */
export function planRestore(image: ImageFacts, machine: PlanMachine, options: PlanOptions): PlanResult {
  const choice = chooseTargetDisk(machine.profile.disks, image.usedEndBytes);
  if ('refusal' in choice) return { ok: false, refusal: choice.refusal };
  if (options.hostname === null) {
    return { ok: false, refusal: { code: 'RC_ERR_PLAN_HOSTNAME', message: 'the hostname pattern gives no valid host name for this machine (an empty or odd serial?); choose another pattern' } };
  }
  const kept = options.identity ?? null;
  // A restore's NICs come mapped from the captured configuration; a static pool is for clones.
  const bootStatic = kept === null ? staticNic(machine, options) : null;
  if (bootStatic !== null && 'code' in bootStatic) return { ok: false, refusal: bootStatic };
  const { disk } = choice;
  const reasons = [...choice.reasons];
  if (bootStatic !== null) reasons.push(`static address ${bootStatic.address} on the boot NIC ${machine.mac}${bootStatic.gateway ? `, gateway ${bootStatic.gateway}` : ''}`);
  const fit = fitLayout(image, disk.sizeBytes);
  reasons.push(fit.reason);
  const root = findRoot(image.partitions);
  reasons.push(root === null ? 'no ext4 root filesystem found: host name, network, machine-id and host keys are left as they are' : `personalise the ext4 filesystem on partition ${root.number}${root.label ? ` ("${root.label}")` : ''}`);
  if (image.sourceFirmware !== 'unknown' && machine.profile.firmware.mode !== 'unknown' && image.sourceFirmware !== machine.profile.firmware.mode) {
    reasons.push(`the image comes from a ${image.sourceFirmware} machine; this one boots ${machine.profile.firmware.mode}`);
  }
  const personalise: Personalisation = {
    rootPartition: root?.number ?? null, hostname: options.hostname,
    nics: kept === null ? nicConfigs(machine, options.nics, bootStatic) : [...kept.nics],
    newMachineId: kept?.newMachineId ?? true, removeSshHostKeys: kept?.removeSshHostKeys ?? true,
    uefiBootEntry: uefiEntry(image, machine, kept?.bootLabel ?? options.hostname, reasons),
  };
  const plan: DeployPlan = {
    schema: DEPLOY_PLAN_SCHEMA_VERSION,
    image: { name: image.name, version: image.version, diskBytes: image.diskBytes, usedEndBytes: image.usedEndBytes, table: image.table },
    target: identity(disk),
    untouched: machine.profile.disks.filter((d) => d !== disk).map(identity),
    layout: fit.layout,
    personalise,
  };
  return { ok: true, plan, reasons: [...reasons, ...image.notes] };
}
