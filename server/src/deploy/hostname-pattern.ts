import { RackcastError } from '../errors.js';

/** What a hostname pattern may use: `{n}` the member's 1-based index, `{mac}`, `{serial}`, `{image}`. */
export interface HostnameFields {
  readonly n: number;
  /** Boot MAC, e.g. "52:54:00:12:34:56" (written with hyphens: colons are not allowed in host names). */
  readonly mac: string;
  /** System serial number from the profile; '' when unknown. */
  readonly serial: string;
  readonly image: string;
}

/** The pattern a deploy uses when the technician names none. */
export const DEFAULT_HOSTNAME_PATTERN = '{image}-{n}';

const FIELD = /\{(n|mac|serial|image)\}/g;
/** RFC 1123 host name: labels of letters, digits and hyphens, not starting or ending with a hyphen. */
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Checks a pattern before a deploy starts: only known fields, and something that can be a host name. */
export function checkHostnamePattern(pattern: string): void {
  const unknown = /\{([^}]*)\}/g.exec(pattern.replace(FIELD, ''));
  if (unknown) throw new RackcastError('RC_ERR_BAD_REQUEST', `hostname pattern "${pattern}" uses {${unknown[1]}}; use {n}, {mac}, {serial} or {image}`);
  if (!HOSTNAME.test(pattern.replace(FIELD, 'x').toLowerCase())) {
    throw new RackcastError('RC_ERR_BAD_REQUEST', `hostname pattern "${pattern}" cannot make a host name (letters, digits, hyphens and dots, e.g. rack1-{n})`);
  }
}

/**
 * Expands a pattern ("rack1-{n}" → "rack1-3") into a lowercase host name; null when the result
 * is not a valid host name (an empty serial, a serial with spaces), so the planner can refuse
 * that one machine with the reason.
 */
export function expandHostname(pattern: string, fields: HostnameFields): string | null {
  const values: Record<string, string> = { n: String(fields.n), mac: fields.mac.replaceAll(':', '-'), serial: fields.serial, image: fields.image };
  const name = pattern.replace(FIELD, (_m, key: string) => values[key] ?? '').toLowerCase();
  return HOSTNAME.test(name) ? name : null;
}

/** A host name as given (a restore's captured one), lowercased; null when it is not a valid RFC 1123 name. */
export function validHostname(text: string): string | null {
  const name = text.trim().toLowerCase();
  return HOSTNAME.test(name) ? name : null;
}
