/**
 * What differs between the machine a version was captured from and the machine it is restored
 * onto, as a technician reads it before a restore starts (DESIGN.md idea 2). Pure. Each
 * difference says what the restore does about it: nothing (info), changes the restored system
 * (adapt), or refuses to start (refuse).
 */
import type { CapturedDisk, CapturedInterface, DiskProfile, MachineProfile } from '@rackcast/wire';
import { chooseTargetDisk } from '../deploy/index.js';
import type { BootMode } from './boot-modes.js';
import { mapNics, type NicMapping } from './nic-map.js';

export type Severity = 'info' | 'adapt' | 'refuse';
export type DiffArea = 'nic' | 'disk' | 'firmware' | 'cpu' | 'memory' | 'system';

export interface ProfileDifference {
  readonly area: DiffArea;
  readonly severity: Severity;
  /** The source's value and the target's, as text, e.g. "52:54:00:12:34:56" → "52:54:00:ab:cd:ef". */
  readonly source: string;
  readonly target: string;
  /** What it means for the restore, for the technician. */
  readonly message: string;
}

/** What the comparison needs besides the two profiles. */
export interface DiffContext {
  /** The MAC the capture named (the source's boot NIC); '' when unknown. */
  readonly sourceBootMac: string;
  /** The MAC the target boots from (its machine record's key). */
  readonly targetBootMac: string;
  /** The interfaces the captured system configured. */
  readonly interfaces: readonly CapturedInterface[];
  /** The disk that was captured, when the capture recorded it. */
  readonly capturedDisk: CapturedDisk | null;
  /** The least a target disk must hold: the image's used end, in bytes. */
  readonly usedEndBytes: number;
  /** Firmware modes the image boots in (bootModesOf). */
  readonly bootModes: readonly BootMode[];
  /** The source's firmware mode when there is no source profile (the captured configuration's). */
  readonly sourceFirmware?: 'bios' | 'uefi' | 'unknown';
}

export interface ProfileDiff {
  readonly differences: readonly ProfileDifference[];
  readonly nicMap: readonly NicMapping[];
}

function size(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

const diff = (area: DiffArea, severity: Severity, source: string, target: string, message: string): ProfileDifference => ({ area, severity, source, target, message });

function nicDifferences(map: readonly NicMapping[], source: MachineProfile | null, target: MachineProfile, context: DiffContext): ProfileDifference[] {
  const out: ProfileDifference[] = [];
  for (const m of map) {
    const what = `${m.interface} (${m.source}, ${m.mode === 'static' ? `static ${m.address}` : 'dhcp'})`;
    if (m.targetMac === null) out.push(diff('nic', 'adapt', m.sourceMac || m.interface, '-', `${what} has no NIC on the target: its settings are not written`));
    else if (m.match === 'superseded') out.push(diff('nic', 'info', m.sourceMac || m.interface, m.targetMac, `${what} is not written: ${m.note}`));
    else if (m.match !== 'same-mac') out.push(diff('nic', 'adapt', m.sourceMac || m.interface, m.targetMac, `${what} moves to ${m.targetMac} (${m.match === 'boot-nic' ? 'boot NIC to boot NIC' : 'by NIC order'})`));
    if (m.note !== '' && m.match !== 'superseded') out.push(diff('nic', 'info', m.interface, m.targetMac ?? '-', m.note));
  }
  const configured = new Set(map.map((m) => m.targetMac));
  const targetMacs = [...new Set([context.targetBootMac, ...target.nics.map((n) => n.mac)].filter((m) => m !== ''))];
  for (const mac of targetMacs.filter((m) => !configured.has(m))) {
    out.push(diff('nic', 'info', '-', mac, map.length === 0 ? `the capture found no network configuration: ${mac} gets DHCP` : `${mac} is configured by no captured interface: left unconfigured`));
  }
  if (source !== null && source.nics.length !== target.nics.length) {
    out.push(diff('nic', 'info', `${source.nics.length} NICs`, `${target.nics.length} NICs`, 'the target has a different number of NICs'));
  }
  return out;
}

/** The source disk the capture read: by kernel name from the captured path, else by size. */
function capturedDiskOf(source: MachineProfile | null, captured: CapturedDisk | null): DiskProfile | null {
  if (source === null) return null;
  const name = captured?.path.split('/').at(-1) ?? '';
  return source.disks.find((d) => d.name === name) ?? source.disks.find((d) => captured !== null && d.sizeBytes === captured.sizeBytes) ?? null;
}

function diskDifferences(source: MachineProfile | null, target: MachineProfile, context: DiffContext): ProfileDifference[] {
  const from = capturedDiskOf(source, context.capturedDisk);
  const fromSize = from?.sizeBytes ?? context.capturedDisk?.sizeBytes ?? 0;
  const fromText = fromSize > 0 ? size(fromSize) : 'unknown';
  const choice = chooseTargetDisk(target.disks, context.usedEndBytes);
  if ('refusal' in choice) return [diff('disk', 'refuse', fromText, target.disks.map((d) => `${d.name} ${size(d.sizeBytes)}`).join(', ') || 'none', choice.refusal.message)];
  const to = choice.disk;
  const out: ProfileDifference[] = [];
  if (fromSize > 0 && to.sizeBytes !== fromSize) {
    const change = to.sizeBytes > fromSize ? `larger by ${size(to.sizeBytes - fromSize)}` : `smaller by ${size(fromSize - to.sizeBytes)} (the image uses ${size(context.usedEndBytes)})`;
    out.push(diff('disk', 'adapt', fromText, size(to.sizeBytes), `target disk ${to.name} is ${change}: the layout is fitted to it`));
  }
  if (from !== null && from.model !== to.model) out.push(diff('disk', 'info', from.model || '-', to.model || '-', 'another disk model'));
  if (from !== null && (from.serial !== to.serial || from.wwn !== to.wwn)) {
    out.push(diff('disk', 'info', from.serial || from.wwn || '-', to.serial || to.wwn || '-', `another disk (serial or WWN): the plan names the target's ${to.name}`));
  }
  return out;
}

function firmwareDifferences(source: MachineProfile | null, target: MachineProfile, context: DiffContext): ProfileDifference[] {
  const from = source?.firmware.mode ?? context.sourceFirmware ?? 'unknown';
  const to = target.firmware.mode;
  const out: ProfileDifference[] = [];
  if (from !== 'unknown' && to !== 'unknown' && from !== to) {
    const boots = context.bootModes.includes(to);
    out.push(diff('firmware', boots ? 'adapt' : 'refuse', from, to, boots
      ? `the image also boots ${to === 'uefi' ? 'UEFI' : 'BIOS'} (${context.bootModes.join(' and ')})${to === 'uefi' ? ': a UEFI boot entry is created' : ''}`
      : `the image boots only ${context.bootModes.join(' and ') || from}; switch the target's firmware to ${from === 'uefi' ? 'UEFI' : 'legacy BIOS'} mode`));
  }
  if (source !== null && source.firmware.secureBoot !== target.firmware.secureBoot && target.firmware.secureBoot === true) {
    out.push(diff('firmware', 'info', String(source.firmware.secureBoot), 'true', 'Secure Boot is on at the target: the restored loader must be signed'));
  }
  return out;
}

function hardwareDifferences(source: MachineProfile, target: MachineProfile): ProfileDifference[] {
  const out: ProfileDifference[] = [];
  const [s, t] = [source.cpu, target.cpu];
  if (s.architecture !== '' && t.architecture !== '' && s.architecture !== t.architecture) {
    out.push(diff('cpu', 'refuse', s.architecture, t.architecture, `a ${s.architecture} system does not run on a ${t.architecture} machine`));
  } else if (s.vendor !== t.vendor || s.model !== t.model || s.threads !== t.threads) {
    out.push(diff('cpu', 'info', `${s.model || s.vendor} ×${s.threads}`, `${t.model || t.vendor} ×${t.threads}`, 'another processor'));
  }
  if (source.memory.totalBytes !== target.memory.totalBytes) {
    const less = target.memory.totalBytes < source.memory.totalBytes;
    out.push(diff('memory', 'info', size(source.memory.totalBytes), size(target.memory.totalBytes), less ? 'the target has less memory: check services sized to the old machine' : 'the target has more memory'));
  }
  const [a, b] = [source.system, target.system];
  if (a.vendor !== b.vendor || a.model !== b.model) {
    out.push(diff('system', 'info', `${a.vendor} ${a.model}`.trim() || '-', `${b.vendor} ${b.model}`.trim() || '-', 'another system model: the restored system needs drivers for it'));
  }
  if (a.uuid !== b.uuid) out.push(diff('system', 'info', a.uuid || '-', b.uuid || '-', 'another machine (SMBIOS UUID): the captured identity is moved onto it'));
  return out;
}

/**
 * Compares the source profile (null when the capture had none) with the target's, and maps the
 * captured interfaces to the target's NICs.
 */
export function diffProfiles(source: MachineProfile | null, target: MachineProfile, context: DiffContext): ProfileDiff {
  const side = (p: MachineProfile | null, bootMac: string) => ({ bootMac, nics: p?.nics.map((n) => ({ mac: n.mac, name: n.name })) ?? [] });
  const nicMap = mapNics(context.interfaces, side(source, context.sourceBootMac), side(target, context.targetBootMac));
  const differences = [
    ...(source === null ? [diff('system', 'info', '-', '-', 'the capture carried no hardware profile: only disk, firmware and NICs are compared')] : []),
    ...firmwareDifferences(source, target, context),
    ...diskDifferences(source, target, context),
    ...nicDifferences(nicMap, source, target, context),
    ...(source !== null ? hardwareDifferences(source, target) : []),
  ];
  return { differences, nicMap };
}

/** The refusals among the differences, as one message; null when there are none. */
export function refusalOf(differences: readonly ProfileDifference[]): string | null {
  const refusals = differences.filter((d) => d.severity === 'refuse').map((d) => `${d.area}: ${d.message}`);
  return refusals.length === 0 ? null : refusals.join('; ');
}
