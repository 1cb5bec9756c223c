import { WireError } from '../wire-error.js';
import { DhcpOption, decodeOptionRun, encodedOptionsLength, writeOptionRun, type DhcpOptions } from './options.js';
import { ipv4Bytes, ipv4Text } from './option-values.js';

/*
 * The BOOTP/DHCP message (RFC 2131 §2, figure 1): a 236-byte fixed header, the magic cookie,
 * then options. Decoding checks every length against the datagram; encoding computes the
 * size up front. No sockets, no policy.
 */

/** 99.130.83.99: the first four option bytes of every DHCP message. RFC 2131 §3 */
export const DHCP_MAGIC_COOKIE = 0x63825363;
/** Bytes before the magic cookie. */
export const BOOTP_HEADER_LENGTH = 236;
/** Header + cookie: the shortest DHCP message (with no options at all). */
export const DHCP_MIN_LENGTH = 240;
/** RFC 1542 §2.1: relay agents and old clients drop BOOTP messages shorter than 300 bytes. */
export const BOOTP_MIN_REPLY_LENGTH = 300;
/**
 * Longest message accepted: one UDP datagram in a 9000-byte jumbo frame. Clients send well
 * under 1500 bytes and never fragment; anything longer is not a DHCP client.
 */
export const DHCP_MAX_LENGTH = 8972;
const SNAME_AT = 44;
const SNAME_LENGTH = 64;
const FILE_AT = 108;
const FILE_LENGTH = 128;

export const BootpOp = { Request: 1, Reply: 2 } as const;
export type BootpOpId = (typeof BootpOp)[keyof typeof BootpOp];
/** The broadcast bit of `flags`. RFC 2131 §2, figure 2 */
export const BROADCAST_FLAG = 0x8000;

/** A decoded DHCP message. Addresses are dotted quads; "0.0.0.0" means unset. */
export interface DhcpPacket {
  readonly op: BootpOpId;
  /** Hardware type (1 Ethernet, 32 InfiniBand). */
  readonly htype: number;
  /** Hardware address length, 0..16. */
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  /** The 16-byte chaddr field; the address is its first `hlen` bytes. */
  readonly chaddr: Uint8Array;
  /** Server host name field, unless overloaded with options (then ""). */
  readonly sname: string;
  /** Boot file name field, unless overloaded with options (then ""). */
  readonly file: string;
  /** In encode order; decode fills it in RFC 3396 order (options, file, sname). */
  readonly options: DhcpOptions;
}

/** The client's hardware address, lowercase colon-separated ("52:54:00:12:34:56"). */
export function hardwareAddress(packet: Pick<DhcpPacket, 'chaddr' | 'hlen'>): string {
  let text = '';
  for (let i = 0; i < packet.hlen && i < packet.chaddr.byteLength; i++) text += (i === 0 ? '' : ':') + HEX[packet.chaddr[i] ?? 0];
  return text;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** A 16-byte chaddr from "aa:bb:..." text. */
export function chaddrBytes(mac: string): Uint8Array {
  const out = new Uint8Array(16);
  const parts = mac.split(':');
  if (parts.length > 16 || parts.some((p) => !/^[0-9a-f]{2}$/i.test(p))) throw new WireError('RC_ERR_WIRE_INVALID', 'chaddr', `not a hardware address: ${mac}`);
  parts.forEach((p, i) => { out[i] = parseInt(p, 16); });
  return out;
}

function fieldText(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  const end = nul === -1 ? bytes.byteLength : nul;
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1');
}

/**
 * Decodes one DHCP message. Throws WireError naming the field at fault: RC_ERR_WIRE_TRUNCATED
 * for a short header or an option running past the end, RC_ERR_WIRE_BAD_MAGIC for a BOOTP
 * message without the DHCP cookie, RC_ERR_WIRE_INVALID for bad op/hlen, oversize input or an
 * invalid option 52. Option values are views into `bytes`, except joined split options.
 */
export function decodeDhcpPacket(bytes: Uint8Array): DhcpPacket {
  if (bytes.byteLength > DHCP_MAX_LENGTH) throw new WireError('RC_ERR_WIRE_INVALID', 'packet', `${bytes.byteLength} bytes, at most ${DHCP_MAX_LENGTH}`);
  if (bytes.byteLength < DHCP_MIN_LENGTH) throw new WireError('RC_ERR_WIRE_TRUNCATED', 'packet', `${bytes.byteLength} bytes, at least ${DHCP_MIN_LENGTH}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const op = view.getUint8(0);
  if (op !== BootpOp.Request && op !== BootpOp.Reply) throw new WireError('RC_ERR_WIRE_INVALID', 'op', `op ${op}`);
  const hlen = view.getUint8(2);
  if (hlen > 16) throw new WireError('RC_ERR_WIRE_INVALID', 'hlen', `hardware address length ${hlen} > 16`);
  if (view.getUint32(BOOTP_HEADER_LENGTH) !== DHCP_MAGIC_COOKIE) throw new WireError('RC_ERR_WIRE_BAD_MAGIC', 'cookie', 'no DHCP magic cookie (plain BOOTP?)');
  const options = decodeOptionRun(bytes.subarray(DHCP_MIN_LENGTH), 'options');
  const overload = readOverload(options);
  // RFC 3396 §7: options, then file, then sname. Option 52 inside them means nothing.
  if (overload & 1) decodeOptionRun(bytes.subarray(FILE_AT, FILE_AT + FILE_LENGTH), 'file', options);
  if (overload & 2) decodeOptionRun(bytes.subarray(SNAME_AT, SNAME_AT + SNAME_LENGTH), 'sname', options);
  if (overload !== 0) options.set(DhcpOption.OptionOverload, Uint8Array.of(overload));
  return {
    op, htype: view.getUint8(1), hlen, hops: view.getUint8(3), xid: view.getUint32(4), secs: view.getUint16(8), flags: view.getUint16(10),
    ciaddr: ipv4Text(bytes, 12), yiaddr: ipv4Text(bytes, 16), siaddr: ipv4Text(bytes, 20), giaddr: ipv4Text(bytes, 24),
    chaddr: bytes.slice(28, 44),
    sname: overload & 2 ? '' : fieldText(bytes.subarray(SNAME_AT, SNAME_AT + SNAME_LENGTH)),
    file: overload & 1 ? '' : fieldText(bytes.subarray(FILE_AT, FILE_AT + FILE_LENGTH)),
    options,
  };
}

/** Option 52 from the options field only (RFC 2132 §9.3): 0 when absent, else 1..3. */
function readOverload(options: DhcpOptions): number {
  const v = options.get(DhcpOption.OptionOverload);
  if (v === undefined) return 0;
  if (v.byteLength !== 1 || (v[0] ?? 0) < 1 || (v[0] ?? 0) > 3) {
    throw new WireError('RC_ERR_WIRE_INVALID', `option ${DhcpOption.OptionOverload}`, 'option overload must be one byte 1, 2 or 3');
  }
  return v[0] ?? 0;
}

/** Writes latin1 text (the low byte of each UTF-16 unit, as Buffer's latin1 does). */
function writeText(out: Uint8Array, at: number, max: number, text: string, field: string): void {
  // One byte stays NUL: clients read these fields as C strings.
  if (text.length >= max) throw new WireError('RC_ERR_WIRE_INVALID', field, `${text.length} bytes, at most ${max - 1}`);
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i) & 0xff;
}

/**
 * Encodes a message: options in map order (split over 255 bytes per RFC 3396), END, and PAD
 * up to 300 bytes (RFC 1542). Option 52 is never written: the encoder does not overload
 * `file`/`sname`; callers that need room put the boot file in option 67 only.
 */
export function encodeDhcpPacket(packet: DhcpPacket): Uint8Array {
  const options = new Map(packet.options);
  options.delete(DhcpOption.OptionOverload);
  const length = Math.max(BOOTP_MIN_REPLY_LENGTH, DHCP_MIN_LENGTH + encodedOptionsLength(options) + 1);
  if (length > DHCP_MAX_LENGTH) throw new WireError('RC_ERR_WIRE_INVALID', 'options', `message of ${length} bytes, at most ${DHCP_MAX_LENGTH}`);
  if (packet.chaddr.byteLength > 16) throw new WireError('RC_ERR_WIRE_INVALID', 'chaddr', 'longer than 16 bytes');
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint8(0, packet.op);
  view.setUint8(1, packet.htype);
  view.setUint8(2, packet.hlen);
  view.setUint8(3, packet.hops);
  view.setUint32(4, packet.xid >>> 0);
  view.setUint16(8, packet.secs);
  view.setUint16(10, packet.flags);
  out.set(ipv4Bytes(packet.ciaddr, 'ciaddr'), 12);
  out.set(ipv4Bytes(packet.yiaddr, 'yiaddr'), 16);
  out.set(ipv4Bytes(packet.siaddr, 'siaddr'), 20);
  out.set(ipv4Bytes(packet.giaddr, 'giaddr'), 24);
  out.set(packet.chaddr, 28);
  writeText(out, SNAME_AT, SNAME_LENGTH, packet.sname, 'sname');
  writeText(out, FILE_AT, FILE_LENGTH, packet.file, 'file');
  view.setUint32(BOOTP_HEADER_LENGTH, DHCP_MAGIC_COOKIE);
  const end = writeOptionRun(out, DHCP_MIN_LENGTH, options);
  out[end] = DhcpOption.End;
  return out;
}

/** True when `file` can hold `name` (127 latin1 bytes and a NUL). */
export function fitsFileField(name: string): boolean {
  return name.length < FILE_LENGTH;
}
