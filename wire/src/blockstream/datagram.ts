import { ByteReader } from '../byte-reader.js';
import { WireError } from '../wire-error.js';

/** "RCBS": every block-stream datagram starts with it. docs/blockstream-protocol.md */
export const BLOCKSTREAM_MAGIC = 0x52434253;
export const BLOCKSTREAM_VERSION = 1;
export const HEADER_LENGTH = 24;
/** Header + DATA fields before the fragment bytes. */
export const DATA_HEADER_LENGTH = 36;
/** Default datagram size: Ethernet MTU 1500 − IPv4 20 − UDP 8. */
export const DEFAULT_DATAGRAM_SIZE = 1472;

/** Datagram types, sender → receivers (the only direction RCBS datagrams travel). */
export const DatagramType = {
  Data: 1,
  Announce: 2,
  PassEnd: 3,
  Finish: 4,
} as const;
export type DatagramTypeId = (typeof DatagramType)[keyof typeof DatagramType];

/** Sender phases carried in ANNOUNCE. */
export const SenderPhase = {
  Waiting: 1,
  Transfer: 2,
  Complete: 3,
  Cancelled: 4,
} as const;
export type SenderPhaseId = (typeof SenderPhase)[keyof typeof SenderPhase];

export const FinishReason = {
  Complete: 1,
  Cancelled: 2,
} as const;
export type FinishReasonId = (typeof FinishReason)[keyof typeof FinishReason];

/** Fields every datagram carries. */
export interface DatagramHeader {
  readonly sessionId: number;
  readonly senderId: number;
  /** +1 per datagram of this sender id, wrapping at 2^32. */
  readonly sequence: number;
  readonly pass: number;
}

export interface DataDatagram extends DatagramHeader {
  readonly type: typeof DatagramType.Data;
  readonly blockIndex: number;
  readonly fragmentIndex: number;
  readonly fragmentCount: number;
  /** Bytes of the whole sealed block. */
  readonly sealedLength: number;
  /** This fragment's bytes: a view into the datagram, not a copy. */
  readonly payload: Uint8Array;
}

export interface AnnounceDatagram extends DatagramHeader {
  readonly type: typeof DatagramType.Announce;
  readonly blockCount: number;
  readonly fragmentSize: number;
  readonly phase: SenderPhaseId;
  /** Block index the current pass is at. */
  readonly position: number;
  /** Datagrams this sender id has sent so far. */
  readonly sent: number;
}

export interface PassEndDatagram extends DatagramHeader {
  readonly type: typeof DatagramType.PassEnd;
  readonly fragmentsSent: number;
  readonly lastSequence: number;
}

export interface FinishDatagram extends DatagramHeader {
  readonly type: typeof DatagramType.Finish;
  readonly reason: FinishReasonId;
}

export type Datagram = DataDatagram | AnnounceDatagram | PassEndDatagram | FinishDatagram;

function writeHeader(view: DataView, type: DatagramTypeId, h: DatagramHeader): void {
  view.setUint32(0, BLOCKSTREAM_MAGIC);
  view.setUint8(4, BLOCKSTREAM_VERSION);
  view.setUint8(5, type);
  view.setUint16(6, 0);
  view.setUint32(8, h.sessionId);
  view.setUint32(12, h.senderId);
  view.setUint32(16, h.sequence >>> 0);
  view.setUint32(20, h.pass);
}

/**
 * Writes the 36 header bytes of a DATA datagram into `out` (reused by the sender for every
 * datagram; the fragment bytes go out beside it with scatter-gather, never copied).
 */
export function writeDataHeader(out: Uint8Array, d: Omit<DataDatagram, 'type' | 'payload'>): void {
  const view = new DataView(out.buffer, out.byteOffset, DATA_HEADER_LENGTH);
  writeHeader(view, DatagramType.Data, d);
  view.setUint32(24, d.blockIndex);
  view.setUint16(28, d.fragmentIndex);
  view.setUint16(30, d.fragmentCount);
  view.setUint32(32, d.sealedLength);
}

/** Encodes any datagram into one buffer (control datagrams, tests). */
export function encodeDatagram(d: Datagram): Uint8Array {
  const bodies: Record<Datagram['type'], number> = { 1: 12 + (d.type === DatagramType.Data ? d.payload.byteLength : 0), 2: 16, 3: 8, 4: 4 };
  const out = new Uint8Array(HEADER_LENGTH + bodies[d.type]);
  const view = new DataView(out.buffer);
  switch (d.type) {
    case DatagramType.Data:
      writeDataHeader(out, d);
      out.set(d.payload, DATA_HEADER_LENGTH);
      break;
    case DatagramType.Announce:
      writeHeader(view, d.type, d);
      view.setUint32(24, d.blockCount);
      view.setUint16(28, d.fragmentSize);
      view.setUint8(30, d.phase);
      view.setUint32(32, d.position);
      view.setUint32(36, d.sent >>> 0);
      break;
    case DatagramType.PassEnd:
      writeHeader(view, d.type, d);
      view.setUint32(24, d.fragmentsSent);
      view.setUint32(28, d.lastSequence >>> 0);
      break;
    case DatagramType.Finish:
      writeHeader(view, d.type, d);
      view.setUint8(24, d.reason);
      break;
  }
  return out;
}

/**
 * Decodes a datagram; throws WireError naming the field at fault. DATA payloads are views
 * into `bytes`. Checks only what the datagram itself can tell; the receiver checks the rest
 * (block index against the manifest, fragment sizes against the session's fragment size).
 */
export function decodeDatagram(bytes: Uint8Array): Datagram {
  return decodeDataFast(bytes) ?? decodeDatagramChecked(bytes);
}

/**
 * The receive path decodes ~85,000 DATA datagrams a second per gigabit: a well-formed one is
 * read with one DataView and one result object. Anything else (other types, short or odd
 * input) returns null and takes the checked path, which names the field at fault.
 */
function decodeDataFast(bytes: Uint8Array): DataDatagram | null {
  if (bytes.byteLength <= DATA_HEADER_LENGTH) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== BLOCKSTREAM_MAGIC || view.getUint8(4) !== BLOCKSTREAM_VERSION || view.getUint8(5) !== DatagramType.Data) return null;
  const fragmentIndex = view.getUint16(28);
  const fragmentCount = view.getUint16(30);
  const sealedLength = view.getUint32(32);
  const payloadLength = bytes.byteLength - DATA_HEADER_LENGTH;
  if (fragmentCount === 0 || fragmentIndex >= fragmentCount || payloadLength > sealedLength) return null;
  return {
    type: DatagramType.Data, sessionId: view.getUint32(8), senderId: view.getUint32(12), sequence: view.getUint32(16), pass: view.getUint32(20),
    blockIndex: view.getUint32(24), fragmentIndex, fragmentCount, sealedLength, payload: bytes.subarray(DATA_HEADER_LENGTH),
  };
}

function decodeDatagramChecked(bytes: Uint8Array): Datagram {
  const r = new ByteReader(bytes);
  if (r.u32('magic') !== BLOCKSTREAM_MAGIC) throw new WireError('RC_ERR_WIRE_BAD_MAGIC', 'magic', 'not a block-stream datagram');
  const version = r.u8('version');
  if (version !== BLOCKSTREAM_VERSION) throw new WireError('RC_ERR_WIRE_UNSUPPORTED_VERSION', 'version', `block-stream version ${version}`);
  const type = r.u8('type');
  r.u16('reserved');
  const header = { sessionId: r.u32('sessionId'), senderId: r.u32('senderId'), sequence: r.u32('sequence'), pass: r.u32('pass') };
  switch (type) {
    case DatagramType.Data: return decodeData(r, header);
    case DatagramType.Announce: return endOf(r, decodeAnnounce(r, header));
    case DatagramType.PassEnd:
      return endOf(r, { type, ...header, fragmentsSent: r.u32('fragmentsSent'), lastSequence: r.u32('lastSequence') });
    case DatagramType.Finish: {
      const reason = r.u8('reason');
      r.bytes(3, 'reserved');
      if (reason !== FinishReason.Complete && reason !== FinishReason.Cancelled) throw new WireError('RC_ERR_WIRE_INVALID', 'reason', `unknown finish reason ${reason}`);
      return endOf(r, { type, ...header, reason });
    }
    default:
      throw new WireError('RC_ERR_WIRE_INVALID', 'type', `unknown datagram type ${type}`);
  }
}

/** Control datagrams have a fixed size: bytes after the last field are an error, not padding. */
function endOf<T extends Datagram>(r: ByteReader, d: T): T {
  if (r.remaining !== 0) throw new WireError('RC_ERR_WIRE_INVALID', 'type', `${r.remaining} bytes after a type ${d.type} datagram`);
  return d;
}

function decodeData(r: ByteReader, header: DatagramHeader): DataDatagram {
  const blockIndex = r.u32('blockIndex');
  const fragmentIndex = r.u16('fragmentIndex');
  const fragmentCount = r.u16('fragmentCount');
  const sealedLength = r.u32('sealedLength');
  if (fragmentCount === 0) throw new WireError('RC_ERR_WIRE_INVALID', 'fragmentCount', 'fragment count 0');
  if (fragmentIndex >= fragmentCount) throw new WireError('RC_ERR_WIRE_INVALID', 'fragmentIndex', `fragment ${fragmentIndex} of ${fragmentCount}`);
  const payload = r.bytes(r.remaining, 'payload');
  if (payload.byteLength === 0 || payload.byteLength > sealedLength) throw new WireError('RC_ERR_WIRE_INVALID', 'payload', `fragment of ${payload.byteLength} bytes for a sealed block of ${sealedLength}`);
  return { type: DatagramType.Data, ...header, blockIndex, fragmentIndex, fragmentCount, sealedLength, payload };
}

function decodeAnnounce(r: ByteReader, header: DatagramHeader): AnnounceDatagram {
  const blockCount = r.u32('blockCount');
  const fragmentSize = r.u16('fragmentSize');
  const phase = r.u8('phase');
  r.u8('reserved');
  if (phase < SenderPhase.Waiting || phase > SenderPhase.Cancelled) throw new WireError('RC_ERR_WIRE_INVALID', 'phase', `unknown phase ${phase}`);
  if (fragmentSize === 0) throw new WireError('RC_ERR_WIRE_INVALID', 'fragmentSize', 'fragment size 0');
  return { type: DatagramType.Announce, ...header, blockCount, fragmentSize, phase: phase as SenderPhaseId, position: r.u32('position'), sent: r.u32('sent') };
}
