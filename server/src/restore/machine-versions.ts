/**
 * Which stored versions are captures of a given machine, and which of them a restore takes.
 * Pure: version records in, a choice or a RackcastError out.
 */
import { parseCapturedConfig, parseMachineProfile, type CapturedConfig, type MachineProfile } from '@rackcast/wire';
import { RackcastError } from '../errors.js';
import type { VersionRecord } from '../store/index.js';

/** The machine a restore names: a boot MAC, or the host name its captures recorded. */
export type MachineRef = { readonly mac: string } | { readonly hostname: string };

/** The captured configuration of a version, or null (imports, or one this server cannot read). */
export function configOf(version: VersionRecord): CapturedConfig | null {
  try {
    return version.config === null ? null : parseCapturedConfig(version.config);
  } catch {
    return null;
  }
}

export function profileOf(version: VersionRecord): MachineProfile | null {
  try {
    return version.profile === null ? null : parseMachineProfile(version.profile);
  } catch {
    return null;
  }
}

const shortName = (host: string): string => host.toLowerCase().split('.')[0] ?? '';

/** True when the version was captured from the machine: by the capture's MAC, its profile's or configuration's NICs, or its host name. */
export function isCaptureOf(version: VersionRecord, machine: MachineRef): boolean {
  const config = configOf(version);
  if ('hostname' in machine) return config !== null && config.hostname !== '' && shortName(config.hostname) === shortName(machine.hostname);
  if (version.source.machine === machine.mac) return true;
  if (profileOf(version)?.nics.some((n) => n.mac === machine.mac)) return true;
  return config?.interfaces.some((i) => i.mac.toLowerCase() === machine.mac) ?? false;
}

export function describeMachine(machine: MachineRef): string {
  return 'mac' in machine ? machine.mac : machine.hostname;
}

/** What the technician asked for: a version number, a point in time, or the latest. */
export type RestorePoint = { readonly version: number } | { readonly at: Date } | 'latest';

/**
 * The version to restore among `captures` (one image's captures of the machine, any order):
 * the numbered one, the latest at or before a time, or the latest.
 * RC_ERR_RESTORE_BEFORE_FIRST when the time is before the first capture.
 */
export function pickRestorePoint(image: string, captures: readonly VersionRecord[], point: RestorePoint, machine: MachineRef): VersionRecord {
  const byTime = [...captures].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.version - b.version);
  const first = byTime[0];
  if (first === undefined) throw new RackcastError('RC_ERR_RESTORE_NO_VERSION', `no version of ${image} was captured from ${describeMachine(machine)}`, { image });
  if (point === 'latest') return byTime.at(-1) as VersionRecord;
  if ('version' in point) {
    const found = captures.find((v) => v.version === point.version);
    if (found) return found;
    throw new RackcastError('RC_ERR_STORE_VERSION_NOT_FOUND', `${image} has no version ${point.version} captured from ${describeMachine(machine)}; versions: ${byTime.map((v) => `${v.version} (${v.createdAt})`).join(', ')}`, { image, version: point.version });
  }
  const at = point.at.getTime();
  const found = byTime.filter((v) => Date.parse(v.createdAt) <= at).at(-1);
  if (found) return found;
  throw new RackcastError('RC_ERR_RESTORE_BEFORE_FIRST',
    `the first version of ${image} from ${describeMachine(machine)} was captured at ${first.createdAt}; nothing to restore at ${point.at.toISOString()}`,
    { image, firstCapturedAt: first.createdAt, at: point.at.toISOString() });
}
