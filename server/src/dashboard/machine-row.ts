import type { MachineEvent, MachineState, MachineSummary } from '../machine/index.js';

/**
 * One line of the dashboard's machine table: what the table shows, and no more. A full record
 * carries its profile and 50 events (kilobytes each); 500 of them would make every page load
 * and every change heavy, so the machine page reads the full record from the API instead.
 */
export interface MachineRow {
  readonly mac: string;
  readonly state: MachineState;
  readonly online: boolean;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** "QEMU Standard PC (i440FX + PIIX, 1996)"; '' before a profile. */
  readonly model: string;
  readonly serial: string;
  readonly firmware: 'uefi' | 'bios' | 'unknown' | '';
  /** Logical processors; 0 when unknown. */
  readonly cpus: number;
  readonly memoryBytes: number;
  /** Size of each disk in bytes, in the profile's order. */
  readonly disks: readonly number[];
  readonly job: string;
  /** The deploy session of a deploy job, else null. */
  readonly jobSession: number | null;
  readonly lastEvent: MachineEvent | null;
}

export function machineRow(m: MachineSummary): MachineRow {
  const p = m.profile;
  return {
    mac: m.mac, state: m.state, online: m.online, firstSeen: m.firstSeen, lastSeen: m.lastSeen,
    model: p ? [p.system.vendor, p.system.model].filter((s) => s !== '').join(' ') : '',
    serial: p?.system.serial ?? '',
    firmware: p?.firmware.mode ?? '',
    cpus: p?.cpu.threads ?? 0,
    memoryBytes: p?.memory.totalBytes ?? 0,
    disks: p?.disks.map((d) => d.sizeBytes) ?? [],
    job: m.job.action,
    jobSession: m.job.action === 'deploy' ? m.job.deploy.sessionId : null,
    lastEvent: m.events.at(-1) ?? null,
  };
}
