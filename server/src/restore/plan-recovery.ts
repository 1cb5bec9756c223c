/**
 * The plan of a one-touch recovery (pure): a deploy plan whose personalisation is the captured
 * host's own identity, not a fresh clone's. The same host comes back: its host name, its
 * addresses on the target's NICs, and its machine-id and SSH host keys as they were captured
 * (clients that trusted its keys keep trusting them). The disk and layout fit are the deploy
 * planner's (planRestore).
 */
import type { CapturedConfig, MachineProfile, NicConfig } from '@rackcast/wire';
import { planRestore, validHostname, type ImageFacts, type KeptIdentity, type PlanMachine, type PlanResult } from '../deploy/index.js';
import { bootModesOf, type BootMode } from './boot-modes.js';
import type { NicMapping } from './nic-map.js';
import { diffProfiles, refusalOf, type ProfileDifference } from './profile-diff.js';

/** The captured side of a recovery: from the version record. */
export interface RecoverySource {
  readonly config: CapturedConfig;
  /** The source machine's profile; null when the capture carried none. */
  readonly profile: MachineProfile | null;
  /** The MAC the capture named (its boot NIC); '' when unknown. */
  readonly bootMac: string;
}

export interface RecoveryPlan {
  readonly result: PlanResult;
  readonly diff: readonly ProfileDifference[];
  readonly nicMap: readonly NicMapping[];
  readonly bootModes: readonly BootMode[];
}

/** The mapped interfaces as plan NICs; with none, the boot NIC gets DHCP so the host is reachable. */
function plannedNics(nicMap: readonly NicMapping[], bootMac: string): NicConfig[] {
  const nics = nicMap
    .filter((m) => m.targetMac !== null && m.match !== 'superseded')
    .map((m): NicConfig => ({ mac: m.targetMac as string, mode: m.mode, address: m.address, gateway: m.gateway, dns: [...m.dns] }));
  return nics.length > 0 ? nics : [{ mac: bootMac, mode: 'dhcp', address: '', gateway: '', dns: [] }];
}

/** The captured UEFI entry the machine booted (BootCurrent), for the new entry's label. */
function capturedBootLabel(config: CapturedConfig): string | undefined {
  const entries = config.bootEntries;
  const current = entries?.entries.find((e) => e.number === entries.current);
  const label = current?.label.trim() ?? '';
  // A network boot entry (the capture ran from PXE) is no name for the restored disk's entry.
  return label !== '' && !/pxe|network|ipv[46]/i.test(label) ? label : undefined;
}

/** Plans the restore of a captured version onto a target machine, with the profile diff behind it. */
export function planRecovery(facts: ImageFacts, source: RecoverySource, target: PlanMachine): RecoveryPlan {
  const { config } = source;
  const bootModes = bootModesOf(config, facts);
  const { differences, nicMap } = diffProfiles(source.profile, target.profile, {
    sourceBootMac: source.bootMac, targetBootMac: target.mac, interfaces: config.interfaces, capturedDisk: config.disk,
    usedEndBytes: facts.usedEndBytes, bootModes, sourceFirmware: config.firmwareMode,
  });
  const refusal = refusalOf(differences);
  if (refusal !== null) return { result: { ok: false, refusal: { code: 'RC_ERR_RESTORE_REFUSED', message: refusal } }, diff: differences, nicMap, bootModes };
  const hostname = validHostname(config.hostname);
  if (hostname === null) {
    const message = `the captured configuration has no valid host name (${JSON.stringify(config.hostname)}): restore another version, or deploy the image with a hostname pattern`;
    return { result: { ok: false, refusal: { code: 'RC_ERR_PLAN_HOSTNAME', message } }, diff: differences, nicMap, bootModes };
  }
  const bootLabel = capturedBootLabel(config);
  const identity: KeptIdentity = { nics: plannedNics(nicMap, target.mac), newMachineId: false, removeSshHostKeys: false, ...(bootLabel ? { bootLabel } : {}) };
  const planned = planRestore(facts, target, { hostname, nics: 'boot-dhcp', identity });
  if (!planned.ok) return { result: planned, diff: differences, nicMap, bootModes };
  const kept = `restore of ${hostname} as captured at ${config.capturedAt}: machine-id and SSH host keys kept as captured`;
  return { result: { ...planned, reasons: [kept, ...planned.reasons] }, diff: differences, nicMap, bootModes };
}
