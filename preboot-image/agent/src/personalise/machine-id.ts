import { randomBytes } from 'node:crypto';

/** What personalisation does with /etc/machine-id, given what the image has there. */
export type MachineIdAction =
  /** A real id: replaced by a fresh one. */
  | 'renew'
  /** Empty file: systemd writes a new id at first boot (machine-id(5)); the image meant that. */
  | 'keep-empty'
  /** "uninitialized": systemd's first-boot marker (machine-id(5), systemd ≥ 247); left for systemd. */
  | 'keep-uninitialized'
  /** No file: nothing to renew (not a systemd or dbus system, or a read-only /etc). */
  | 'absent';

export function machineIdAction(content: string | null): MachineIdAction {
  if (content === null) return 'absent';
  if (content.trim() === '') return 'keep-empty';
  if (content.trim() === 'uninitialized') return 'keep-uninitialized';
  return 'renew';
}

/**
 * A fresh machine id: 128 random bits as 32 lowercase hex digits, with the version-4 UUID bits
 * set, as systemd's sd_id128_randomize() makes them (machine-id(5)).
 */
export function newMachineId(random: (n: number) => Uint8Array = randomBytes): string {
  const id = Buffer.from(random(16));
  id[6] = ((id[6] ?? 0) & 0x0f) | 0x40;
  id[8] = ((id[8] ?? 0) & 0x3f) | 0x80;
  return id.toString('hex');
}

/** The file: the id and a newline. */
export const machineIdFile = (id: string): string => `${id}\n`;

/** machine-id(5): exactly 32 lowercase hex digits. */
export const MACHINE_ID = /^[0-9a-f]{32}$/;
