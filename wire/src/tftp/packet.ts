import { Buffer } from 'node:buffer';
import { ByteReader } from '../byte-reader.js';
import { WireError } from '../wire-error.js';

/** TFTP opcodes: RFC 1350 §5; OACK: RFC 2347. */
export const TftpOpcode = {
  ReadRequest: 1,
  WriteRequest: 2,
  Data: 3,
  Ack: 4,
  Error: 5,
  OptionAck: 6, // RFC 2347
} as const;
export type TftpOpcodeId = (typeof TftpOpcode)[keyof typeof TftpOpcode];

/** ERROR codes: RFC 1350 appendix; 8: RFC 2347. */
export const TftpErrorCode = {
  NotDefined: 0,
  FileNotFound: 1,
  AccessViolation: 2,
  DiskFull: 3,
  IllegalOperation: 4,
  UnknownTransferId: 5,
  FileExists: 6,
  NoSuchUser: 7,
  OptionNegotiation: 8, // RFC 2347
} as const;
export type TftpErrorCodeId = (typeof TftpErrorCode)[keyof typeof TftpErrorCode];

/** Largest DATA payload any negotiation can produce (RFC 2348 blksize maximum). */
export const TFTP_MAX_BLOCK_SIZE = 65464;
/** Bytes before the payload of a DATA packet: opcode + block number. */
export const TFTP_DATA_HEADER_LENGTH = 4;

/** One option of a request or OACK (RFC 2347), in the order sent. Names are lowercased. */
export interface TftpOption {
  /** Option name, lowercased (RFC 2347: names are case-insensitive). Example: "blksize" */
  readonly name: string;
  /** Value as sent. Example: "1468" */
  readonly value: string;
}

/**
 * RRQ or WRQ. Strings are the bytes as sent, read as latin1 (one character per byte), so
 * nothing is lost before the server decides what a file name means.
 */
export interface TftpRequest {
  readonly opcode: typeof TftpOpcode.ReadRequest | typeof TftpOpcode.WriteRequest;
  /** Example: "undionly.kpxe" */
  readonly filename: string;
  /** Lowercased (RFC 1350: case-insensitive). Example: "octet" */
  readonly mode: string;
  readonly options: readonly TftpOption[];
}

export interface TftpData {
  readonly opcode: typeof TftpOpcode.Data;
  /** Block number modulo 2^16. */
  readonly block: number;
  /** The block's bytes: a view into the packet, not a copy. */
  readonly data: Uint8Array;
}

export interface TftpAck {
  readonly opcode: typeof TftpOpcode.Ack;
  /** Block number modulo 2^16; 0 acknowledges an OACK. */
  readonly block: number;
}

export interface TftpError {
  readonly opcode: typeof TftpOpcode.Error;
  /** Usually a TftpErrorCode; any u16 is decoded. */
  readonly code: number;
  /** Example: "File not found" */
  readonly message: string;
}

export interface TftpOptionAck {
  readonly opcode: typeof TftpOpcode.OptionAck;
  /** At least one option. */
  readonly options: readonly TftpOption[];
}

export type TftpPacket = TftpRequest | TftpData | TftpAck | TftpError | TftpOptionAck;

// ---------------------------------------------------------------------------------------------
// Strings: NUL-terminated, one byte per character
// ---------------------------------------------------------------------------------------------

/** Reads up to (not including) the next NUL and skips the NUL; a missing NUL is truncation. */
function readString(r: ByteReader, bytes: Uint8Array, field: string): string {
  const start = r.position;
  const end = bytes.indexOf(0, start);
  if (end < 0) throw new WireError('RC_ERR_WIRE_TRUNCATED', field, 'no terminating NUL');
  const text = r.bytes(end - start, field);
  r.u8(field);
  return Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('latin1');
}

function stringBytes(value: string, field: string): Uint8Array {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c > 0xff) throw new WireError('RC_ERR_WIRE_INVALID', field, `character ${c} cannot be sent (one byte per character, no NUL)`);
  }
  return Buffer.from(value, 'latin1');
}

/** True when every byte from the reader's position on is 0. */
function onlyZerosLeft(r: ByteReader, bytes: Uint8Array): boolean {
  for (let i = r.position; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * name\0value\0 pairs to the end of the packet (RFC 2347 §"Packet Formats").
 * NOTE: zero bytes after the last pair are skipped: some boot ROMs pad their requests.
 */
function readOptions(r: ByteReader, bytes: Uint8Array): TftpOption[] {
  const options: TftpOption[] = [];
  while (r.remaining > 0 && !onlyZerosLeft(r, bytes)) {
    const at = options.length;
    const name = readString(r, bytes, `options[${at}].name`).toLowerCase();
    if (name === '') throw new WireError('RC_ERR_WIRE_INVALID', `options[${at}].name`, 'empty option name');
    options.push({ name, value: readString(r, bytes, `options[${at}].value`) });
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

/**
 * Decodes one TFTP datagram; throws WireError naming the field at fault. Checks only what the
 * packet itself can tell: option values, block numbers against a transfer, and what a mode
 * means are the server's business. Lenient in two places other servers are too (tftpd-hpa):
 * bytes after an ACK's block number or an ERROR's NUL are ignored.
 */
export function decodeTftpPacket(bytes: Uint8Array): TftpPacket {
  const r = new ByteReader(bytes);
  const opcode = r.u16('opcode');
  switch (opcode) {
    case TftpOpcode.ReadRequest:
    case TftpOpcode.WriteRequest:
      return decodeRequest(r, bytes, opcode);
    case TftpOpcode.Data:
      return { opcode, block: r.u16('block'), data: r.bytes(r.remaining, 'data') };
    case TftpOpcode.Ack:
      return { opcode, block: r.u16('block') };
    case TftpOpcode.Error:
      return { opcode, code: r.u16('code'), message: readString(r, bytes, 'message') };
    case TftpOpcode.OptionAck: {
      const options = readOptions(r, bytes);
      if (options.length === 0) throw new WireError('RC_ERR_WIRE_INVALID', 'options', 'OACK without options');
      return { opcode, options };
    }
    default:
      throw new WireError('RC_ERR_WIRE_INVALID', 'opcode', `unknown TFTP opcode ${opcode}`);
  }
}

function decodeRequest(r: ByteReader, bytes: Uint8Array, opcode: TftpRequest['opcode']): TftpRequest {
  const filename = readString(r, bytes, 'filename');
  if (filename === '') throw new WireError('RC_ERR_WIRE_INVALID', 'filename', 'empty file name');
  const mode = readString(r, bytes, 'mode').toLowerCase();
  if (mode === '') throw new WireError('RC_ERR_WIRE_INVALID', 'mode', 'empty transfer mode');
  return { opcode, filename, mode, options: readOptions(r, bytes) };
}

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

function checkU16(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new WireError('RC_ERR_WIRE_INVALID', field, `${value} is not a u16`);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

const NUL = Uint8Array.of(0);

function u16Bytes(value: number): Uint8Array {
  return Uint8Array.of(value >>> 8, value & 0xff);
}

function optionParts(options: readonly TftpOption[]): Uint8Array[] {
  return options.flatMap((o, i) => {
    if (o.name === '') throw new WireError('RC_ERR_WIRE_INVALID', `options[${i}].name`, 'empty option name');
    return [stringBytes(o.name, `options[${i}].name`), NUL, stringBytes(o.value, `options[${i}].value`), NUL];
  });
}

/**
 * Writes the 4 header bytes of DATA block `block` (mod 2^16). The server sends them beside the
 * file's bytes with scatter-gather, so a block is never copied.
 */
export function encodeTftpDataHeader(block: number): Uint8Array {
  return Uint8Array.of(0, TftpOpcode.Data, (block >>> 8) & 0xff, block & 0xff);
}

/** Encodes any packet into one buffer. */
export function encodeTftpPacket(p: TftpPacket): Uint8Array {
  switch (p.opcode) {
    case TftpOpcode.ReadRequest:
    case TftpOpcode.WriteRequest:
      if (p.filename === '') throw new WireError('RC_ERR_WIRE_INVALID', 'filename', 'empty file name');
      if (p.mode === '') throw new WireError('RC_ERR_WIRE_INVALID', 'mode', 'empty transfer mode');
      return concat([u16Bytes(p.opcode), stringBytes(p.filename, 'filename'), NUL, stringBytes(p.mode, 'mode'), NUL, ...optionParts(p.options)]);
    case TftpOpcode.Data:
      checkU16(p.block, 'block');
      if (p.data.byteLength > TFTP_MAX_BLOCK_SIZE) throw new WireError('RC_ERR_WIRE_INVALID', 'data', `${p.data.byteLength} bytes exceed ${TFTP_MAX_BLOCK_SIZE}`);
      return concat([encodeTftpDataHeader(p.block), p.data]);
    case TftpOpcode.Ack:
      checkU16(p.block, 'block');
      return concat([u16Bytes(p.opcode), u16Bytes(p.block)]);
    case TftpOpcode.Error:
      checkU16(p.code, 'code');
      return concat([u16Bytes(p.opcode), u16Bytes(p.code), stringBytes(p.message, 'message'), NUL]);
    case TftpOpcode.OptionAck:
      if (p.options.length === 0) throw new WireError('RC_ERR_WIRE_INVALID', 'options', 'OACK without options');
      return concat([u16Bytes(p.opcode), ...optionParts(p.options)]);
    default:
      throw new WireError('RC_ERR_WIRE_INVALID', 'opcode', `unknown TFTP opcode ${(p as { opcode: unknown }).opcode}`);
  }
}
