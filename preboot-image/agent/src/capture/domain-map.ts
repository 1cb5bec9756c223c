import type { ByteRange } from '../disk/index.js';

/**
 * Parses a GNU ddrescue domain (map) file as `partclone.<fs> --domain` writes it: comment lines
 * start with "#", the first other line is "current_pos current_status", then one block per line
 * "pos size status" in hex, where "+" marks a used area and "?" a free one (ddrescue manual,
 * "Mapfile structure"). Returns the used areas, ascending, adjacent ones merged. Anything
 * malformed throws, naming the line: a bitmap that cannot be read must never be half-used.
 */
export function parseDomainMap(text: string): ByteRange[] {
  const used: ByteRange[] = [];
  let sawStatus = false;
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    if (!sawStatus) {
      if (fields.length < 2 || !/^0x[0-9a-f]+$/i.test(fields[0] ?? '')) throw new Error(`domain map line ${n + 1}: expected "current_pos current_status", got ${JSON.stringify(line)}`);
      sawStatus = true;
      continue;
    }
    const [pos, size, status] = fields;
    if (fields.length !== 3 || !/^0x[0-9a-f]+$/i.test(pos ?? '') || !/^0x[0-9a-f]+$/i.test(size ?? '') || !/^[?*/\-+]$/.test(status ?? '')) {
      throw new Error(`domain map line ${n + 1}: expected "pos size status", got ${JSON.stringify(line)}`);
    }
    if (status !== '+') continue;
    const offset = Number.parseInt(pos ?? '', 16);
    const length = Number.parseInt(size ?? '', 16);
    if (!Number.isSafeInteger(offset + length)) throw new Error(`domain map line ${n + 1}: position beyond 2^53`);
    appendRange(used, offset, length);
  }
  if (!sawStatus) throw new Error('domain map has no status line: not a ddrescue domain map');
  return used;
}

/** Appends a range to a list sorted by offset, merging it with the last one when they touch. */
export function appendRange(ranges: ByteRange[], offset: number, length: number): void {
  if (length <= 0) return;
  const last = ranges[ranges.length - 1];
  if (last !== undefined && offset < last.offset) throw new Error(`range at ${offset} comes before the previous one at ${last.offset}`);
  if (last !== undefined && offset <= last.offset + last.length) {
    ranges[ranges.length - 1] = { offset: last.offset, length: Math.max(last.length, offset + length - last.offset) };
  } else {
    ranges.push({ offset, length });
  }
}
