/**
 * SCSI Vital Product Data pages the kernel exposes per disk (device/vpd_pg80, device/vpd_pg83),
 * parsed the way the kernel derives its `wwid` attribute (drivers/scsi/scsi_lib.c,
 * scsi_vpd_lun_id), for disks whose kernel or driver does not provide `wwid` itself.
 * Layouts: SPC-4 §7.8.15 (page 80h) and §7.8.6 (page 83h).
 */

const PAGE_HEADER = 4;

function pageBody(page: Uint8Array, code: number): Uint8Array | null {
  if (page.length < PAGE_HEADER || page[1] !== code) return null;
  const length = ((page[2] ?? 0) << 8) | (page[3] ?? 0);
  return page.subarray(PAGE_HEADER, Math.min(page.length, PAGE_HEADER + length));
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1').replace(/\0+$/, '').trim();

/** Unit serial number (page 80h); "" when the page is absent or malformed. */
export function parseVpdSerial(page: Uint8Array): string {
  const body = pageBody(page, 0x80);
  return body === null ? '' : ascii(body);
}

/** Designator types of page 83h, and how much the kernel prefers each (lower is better). */
const DESIGNATOR_RANK: Readonly<Record<number, number>> = { 8: 0, 3: 1, 2: 2, 1: 3 };

interface Designator {
  readonly type: number;
  readonly codeSet: number;
  readonly value: Uint8Array;
}

/** The logical-unit designators of page 83h (association 0), in page order. */
function lunDesignators(body: Uint8Array): Designator[] {
  const out: Designator[] = [];
  for (let at = 0; at + 4 <= body.length;) {
    const length = body[at + 3] ?? 0;
    const value = body.subarray(at + 4, at + 4 + length);
    if (value.length < length) break;
    const association = ((body[at + 1] ?? 0) >> 4) & 0x3;
    if (association === 0) out.push({ type: (body[at + 1] ?? 0) & 0xf, codeSet: (body[at] ?? 0) & 0xf, value });
    at += 4 + length;
  }
  return out;
}

function formatDesignator(d: Designator): string {
  switch (d.type) {
    case 3: return `naa.${hex(d.value)}`;
    case 2: return `eui.${hex(d.value)}`;
    case 1: return `t10.${ascii(d.value)}`;
    default: return ascii(d.value); // SCSI name string: already "naa.…", "eui.…" or "iqn.…"
  }
}

/**
 * The disk's world wide name from page 83h: a SCSI name string, else NAA, else EUI-64, else the
 * T10 vendor id, the longest first within a kind (the kernel's order). "" when none is present.
 */
export function parseVpdWwn(page: Uint8Array): string {
  const body = pageBody(page, 0x83);
  if (body === null) return '';
  const ranked = lunDesignators(body)
    .filter((d) => DESIGNATOR_RANK[d.type] !== undefined && (d.type !== 8 || d.codeSet === 3))
    .sort((a, b) => (DESIGNATOR_RANK[a.type] ?? 9) - (DESIGNATOR_RANK[b.type] ?? 9) || b.value.length - a.value.length);
  const best = ranked[0];
  return best === undefined ? '' : formatDesignator(best);
}
