import { ByteReader, ByteWriter } from '../byte-reader.js';
import { WireError } from '../wire-error.js';

/** "RCNK": a receiver's report of what it misses after a pass (docs/blockstream-protocol.md). */
const MAGIC = 0x52434e4b;
const VERSION = 1;
const HEADER_LENGTH = 24;
const FLAG_COMPLETE = 1;
const FLAG_INTERIM = 2;
const TAG_BLOCKS = 1;
const TAG_FRAGMENTS = 2;
/** A receiver reports at most this many entries; a report is at most ~1 MB. */
export const MAX_NAK_ENTRIES = 1 << 17;

/** Whole blocks of which not one fragment arrived. */
export interface MissingBlocks {
  readonly kind: 'blocks';
  readonly first: number;
  readonly count: number;
}

/** The missing fragments of a partly received block: bit i set = fragment i missing. */
export interface MissingFragments {
  readonly kind: 'fragments';
  readonly block: number;
  readonly fragmentCount: number;
  /** ⌈fragmentCount/8⌉ bytes, bit i of byte i/8, LSB first. */
  readonly bitmap: Uint8Array;
}

export type NakEntry = MissingBlocks | MissingFragments;

export interface NakReport {
  /** The pass this report answers (an interim request: the pass being sent). */
  readonly pass: number;
  /** Nothing is missing. */
  readonly complete: boolean;
  /**
   * An in-pass repair request, sent while the pass is still running: only fragments of
   * partial blocks the sender has already passed. Absent or false: the answer to PASS_END.
   */
  readonly interim?: boolean;
  /** Datagrams received since joining. */
  readonly received: number;
  /** Datagrams sent since joining, from sequence numbers. */
  readonly sent: number;
  /** In ascending block order. */
  readonly entries: readonly NakEntry[];
}

export function encodeNakReport(report: NakReport): Uint8Array {
  if (report.entries.length > MAX_NAK_ENTRIES) throw new WireError('RC_ERR_WIRE_INVALID', 'entries', `more than ${MAX_NAK_ENTRIES} entries`);
  const size = HEADER_LENGTH + report.entries.reduce((n, e) => n + (e.kind === 'blocks' ? 9 : 7 + e.bitmap.byteLength), 0);
  const w = new ByteWriter(size);
  w.u32(MAGIC);
  w.u8(VERSION);
  w.u8((report.complete ? FLAG_COMPLETE : 0) | (report.interim === true ? FLAG_INTERIM : 0));
  w.u16(0);
  w.u32(report.pass);
  w.u32(report.received >>> 0);
  w.u32(report.sent >>> 0);
  w.u32(report.entries.length);
  for (const e of report.entries) {
    if (e.kind === 'blocks') {
      w.u8(TAG_BLOCKS);
      w.u32(e.first);
      w.u32(e.count);
    } else {
      if (e.bitmap.byteLength !== Math.ceil(e.fragmentCount / 8)) throw new WireError('RC_ERR_WIRE_INVALID', 'bitmap', 'bitmap length does not match the fragment count');
      w.u8(TAG_FRAGMENTS);
      w.u32(e.block);
      w.u16(e.fragmentCount);
      w.raw(e.bitmap);
    }
  }
  return w.bytes;
}

/** Decodes a NAK report; entries must be in ascending, non-overlapping block order. */
export function decodeNakReport(bytes: Uint8Array): NakReport {
  const r = new ByteReader(bytes);
  if (r.u32('magic') !== MAGIC) throw new WireError('RC_ERR_WIRE_BAD_MAGIC', 'magic', 'not a NAK report');
  const version = r.u8('version');
  if (version !== VERSION) throw new WireError('RC_ERR_WIRE_UNSUPPORTED_VERSION', 'version', `NAK report version ${version}`);
  const flags = r.u8('flags');
  r.u16('reserved');
  const pass = r.u32('pass');
  const received = r.u32('received');
  const sent = r.u32('sent');
  const count = r.u32('entryCount');
  // Fail before allocating anything: every entry takes at least 7 bytes.
  if (count * 7 > r.remaining) throw new WireError('RC_ERR_WIRE_TRUNCATED', 'entryCount', `${count} entries cannot fit in ${r.remaining} bytes`);
  if (count > MAX_NAK_ENTRIES) throw new WireError('RC_ERR_WIRE_INVALID', 'entryCount', `more than ${MAX_NAK_ENTRIES} entries`);
  const entries: NakEntry[] = [];
  let nextBlock = 0;
  for (let i = 0; i < count; i++) {
    const entry = readEntry(r, i);
    const first = entry.kind === 'blocks' ? entry.first : entry.block;
    if (first < nextBlock) throw new WireError('RC_ERR_WIRE_INVALID', `entries[${i}]`, 'entries out of order or overlapping');
    nextBlock = entry.kind === 'blocks' ? first + entry.count : first + 1;
    entries.push(entry);
  }
  if (r.remaining !== 0) throw new WireError('RC_ERR_WIRE_INVALID', 'entryCount', `${r.remaining} bytes after the last entry`);
  const report: NakReport = { pass, complete: (flags & FLAG_COMPLETE) !== 0, received, sent, entries };
  return (flags & FLAG_INTERIM) !== 0 ? { ...report, interim: true } : report;
}

function readEntry(r: ByteReader, i: number): NakEntry {
  const tag = r.u8(`entries[${i}].tag`);
  if (tag === TAG_BLOCKS) {
    const first = r.u32(`entries[${i}].first`);
    const count = r.u32(`entries[${i}].count`);
    if (count === 0 || first + count > 0xffffffff) throw new WireError('RC_ERR_WIRE_INVALID', `entries[${i}].count`, `bad block run ${first}+${count}`);
    return { kind: 'blocks', first, count };
  }
  if (tag === TAG_FRAGMENTS) {
    const block = r.u32(`entries[${i}].block`);
    const fragmentCount = r.u16(`entries[${i}].fragmentCount`);
    if (fragmentCount === 0) throw new WireError('RC_ERR_WIRE_INVALID', `entries[${i}].fragmentCount`, 'zero fragments');
    return { kind: 'fragments', block, fragmentCount, bitmap: new Uint8Array(r.bytes(Math.ceil(fragmentCount / 8), `entries[${i}].bitmap`)) };
  }
  throw new WireError('RC_ERR_WIRE_INVALID', `entries[${i}].tag`, `unknown entry tag ${tag}`);
}
