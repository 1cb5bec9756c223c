import { GoldenImageError } from './golden-error.js';

export const MIB = 1024 * 1024;

/** Default disk size: big enough to show that a clone grows into its disk, small on the host (sparse). */
export const DEFAULT_DISK_BYTES = 512 * MIB;
export const DEFAULT_HOSTNAME = 'golden';
/** A fixed machine id, so that tests can tell the golden one from a clone's fresh one. */
export const DEFAULT_MACHINE_ID = '6f1d0e6a4c3b4e2d9a8b7c6d5e4f3a21';
/**
 * Timestamps of every file when SOURCE_DATE_EPOCH is unset (2023-11-14T22:13:20Z). Not 0: FAT
 * stores years from 1980 and cannot hold 1970.
 */
export const DEFAULT_EPOCH = 1_700_000_000;
/** 1980-01-01T00:00:00Z, the earliest time FAT can store. */
const FAT_EPOCH = 315_532_800;

/** "512M", "1G", "600MiB", "536870912" → bytes; must be a whole number of MiB. */
export function parseSize(text: string): number {
  const m = /^(\d+)([KMGT]?)(i?B)?$/i.exec(text.trim());
  if (!m?.[1]) throw new GoldenImageError('RC_ERR_GOLDEN_BAD_OPTION', `--size: '${text}' is not a size (examples: 512M, 1G)`);
  const unit = (m[2] ?? '').toUpperCase();
  const factor = unit === 'K' ? 1024 : unit === 'M' ? MIB : unit === 'G' ? 1024 * MIB : unit === 'T' ? 1024 * 1024 * MIB : 1;
  const bytes = Number(m[1]) * factor;
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % MIB !== 0) {
    throw new GoldenImageError('RC_ERR_GOLDEN_BAD_OPTION', `--size: '${text}' must be a positive whole number of MiB (examples: 512M, 1G)`);
  }
  return bytes;
}

/** A host name as /etc/hostname holds it: one RFC 1123 label, letters, digits and inner hyphens. */
export function parseHostname(text: string): string {
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(text)) {
    throw new GoldenImageError('RC_ERR_GOLDEN_BAD_OPTION', `--hostname: '${text}' is not a host name (1-63 letters, digits or inner hyphens)`);
  }
  return text;
}

/** A systemd machine id: 32 lower-case hex digits, not all zero. */
export function parseMachineId(text: string): string {
  if (!/^[0-9a-f]{32}$/.test(text) || /^0+$/.test(text)) {
    throw new GoldenImageError('RC_ERR_GOLDEN_BAD_OPTION', `--machine-id: '${text}' is not a machine id (32 lower-case hex digits, not all zero)`);
  }
  return text;
}

/** SOURCE_DATE_EPOCH → seconds; unset or empty gives DEFAULT_EPOCH. */
export function parseEpoch(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_EPOCH;
  if (!/^\d+$/.test(text) || Number(text) < FAT_EPOCH || !Number.isSafeInteger(Number(text))) {
    throw new GoldenImageError('RC_ERR_GOLDEN_BAD_OPTION', `SOURCE_DATE_EPOCH must be seconds since 1970, at least ${FAT_EPOCH} (1980, the earliest FAT date); got '${text}'`);
  }
  return Number(text);
}
