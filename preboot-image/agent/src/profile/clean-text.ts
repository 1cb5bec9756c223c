import { PROFILE_LIMITS } from '@rackcast/wire';

/**
 * Strings firmware vendors leave in SMBIOS fields they never filled in. An identity field
 * holding one of these identifies nothing, so it is reported empty (a later match on serial or
 * UUID must not pair two machines that both say "To Be Filled By O.E.M.").
 */
const PLACEHOLDERS = new Set([
  'to be filled by o.e.m.', 'default string', 'not specified', 'not applicable', 'none', 'n/a', '-', '0', '00000000', '0123456789',
  'system serial number', 'system product name', 'system manufacturer', 'chassis serial number', 'base board serial number',
  'invalid', 'unknown', 'not settable', 'not present', 'oem', 'o.e.m.', '123456789', 'empty', 'serial',
]);

/** UUIDs that are not unique: unset (all 0 or all F) and the AMI reference-BIOS default. */
const PLACEHOLDER_UUIDS = new Set([
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '03000200-0400-0500-0006-000700080009',
]);

/**
 * Text from hardware, made safe for the profile: control characters dropped (some firmware
 * pads with NUL or 0xFF), runs of spaces collapsed (SCSI INQUIRY strings are space-padded),
 * cut to the profile's text limit.
 */
export function cleanText(value: string | null | undefined, max: number = PROFILE_LIMITS.text): string {
  if (value === null || value === undefined) return '';
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0) ?? 0;
    out += c < 0x20 || c === 0x7f || c === 0xfffd ? ' ' : ch;
  }
  return out.replace(/\s+/g, ' ').trim().slice(0, max).trim();
}

/** Like cleanText, and "" for the placeholder strings firmware ships unset fields with. */
export function cleanIdentity(value: string | null | undefined): string {
  const text = cleanText(value);
  return PLACEHOLDERS.has(text.toLowerCase()) ? '' : text;
}

/** A system UUID, lowercase; "" when absent or a known non-unique placeholder. */
export function cleanUuid(value: string | null | undefined): string {
  const text = cleanText(value).toLowerCase();
  return PLACEHOLDER_UUIDS.has(text) ? '' : text;
}
