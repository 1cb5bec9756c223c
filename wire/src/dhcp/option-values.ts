import { WireError } from '../wire-error.js';
import { DhcpMessageType, DhcpOption, type DhcpMessageTypeId, type DhcpOptions } from './options.js';

/*
 * Typed reads of single options. Each returns undefined when the option is absent and throws
 * WireError (RC_ERR_WIRE_INVALID, field "option N") when it is present with a length or value
 * its spec forbids, so a server drops the packet with one line naming the option at fault.
 */

const field = (code: number): string => `option ${code}`;

function sized(options: DhcpOptions, code: number, check: (length: number) => boolean, want: string): Uint8Array | undefined {
  const value = options.get(code);
  if (value !== undefined && !check(value.byteLength)) {
    throw new WireError('RC_ERR_WIRE_INVALID', field(code), `length ${value.byteLength}, want ${want}`);
  }
  return value;
}

/** Dotted-quad text of 4 bytes at `at`. */
export function ipv4Text(bytes: Uint8Array, at = 0): string {
  return `${bytes[at] ?? 0}.${bytes[at + 1] ?? 0}.${bytes[at + 2] ?? 0}.${bytes[at + 3] ?? 0}`;
}

/** The 4 bytes of a dotted quad; RC_ERR_WIRE_INVALID when it is not one. (A hand-rolled parser:
 * every reply encodes four addresses, and split/regex cost more than the rest of the encoder.) */
export function ipv4Bytes(text: string, what = 'address'): Uint8Array {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e && digits > 0 && part < 3) {
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      value = value * 10 + (c - 0x30);
      digits += 1;
    } else {
      throw new WireError('RC_ERR_WIRE_INVALID', what, `not an IPv4 address: ${text}`);
    }
    if (value > 255) throw new WireError('RC_ERR_WIRE_INVALID', what, `not an IPv4 address: ${text}`);
  }
  if (part !== 3 || digits === 0) throw new WireError('RC_ERR_WIRE_INVALID', what, `not an IPv4 address: ${text}`);
  out[3] = value;
  return out;
}

/** Text of an option value: latin1, trailing NULs dropped (some firmware NUL-terminates). */
export function optionText(value: Uint8Array): string {
  let end = value.byteLength;
  while (end > 0 && value[end - 1] === 0) end -= 1;
  return Buffer.from(value.buffer, value.byteOffset, end).toString('latin1');
}

function u32Of(v: Uint8Array): number {
  return (((v[0] ?? 0) << 24) | ((v[1] ?? 0) << 16) | ((v[2] ?? 0) << 8) | (v[3] ?? 0)) >>> 0;
}

function readIpv4(options: DhcpOptions, code: number): string | undefined {
  const v = sized(options, code, (n) => n === 4, '4');
  return v && ipv4Text(v);
}

function readIpv4List(options: DhcpOptions, code: number): string[] | undefined {
  const v = sized(options, code, (n) => n >= 4 && n % 4 === 0, 'a multiple of 4');
  if (v === undefined) return undefined;
  const out: string[] = [];
  for (let at = 0; at < v.byteLength; at += 4) out.push(ipv4Text(v, at));
  return out;
}

function readU32(options: DhcpOptions, code: number): number | undefined {
  const v = sized(options, code, (n) => n === 4, '4');
  return v && u32Of(v);
}

function readText(options: DhcpOptions, code: number): string | undefined {
  const v = sized(options, code, (n) => n >= 1, 'at least 1');
  return v && optionText(v);
}

/** Option 53. */
export function readMessageType(options: DhcpOptions): DhcpMessageTypeId | undefined {
  const v = sized(options, DhcpOption.MessageType, (n) => n === 1, '1');
  if (v === undefined) return undefined;
  const type = v[0] ?? 0;
  if (type < DhcpMessageType.Discover || type > DhcpMessageType.Inform) {
    throw new WireError('RC_ERR_WIRE_INVALID', field(DhcpOption.MessageType), `unknown message type ${type}`);
  }
  return type as DhcpMessageTypeId;
}

/** Option 54. */
export const readServerIdentifier = (o: DhcpOptions): string | undefined => readIpv4(o, DhcpOption.ServerIdentifier);
/** Option 50. */
export const readRequestedAddress = (o: DhcpOptions): string | undefined => readIpv4(o, DhcpOption.RequestedIpAddress);
/** Option 1. */
export const readSubnetMask = (o: DhcpOptions): string | undefined => readIpv4(o, DhcpOption.SubnetMask);
/** Option 3. */
export const readRouters = (o: DhcpOptions): string[] | undefined => readIpv4List(o, DhcpOption.Router);
/** Option 6. */
export const readDnsServers = (o: DhcpOptions): string[] | undefined => readIpv4List(o, DhcpOption.DomainNameServer);
/** Option 51, seconds. */
export const readLeaseTime = (o: DhcpOptions): number | undefined => readU32(o, DhcpOption.LeaseTime);
/** Option 12. */
export const readHostName = (o: DhcpOptions): string | undefined => readText(o, DhcpOption.HostName);
/** Option 60, e.g. "PXEClient:Arch:00000:UNDI:002001". */
export const readVendorClass = (o: DhcpOptions): string | undefined => readText(o, DhcpOption.VendorClassIdentifier);
/** Option 66. */
export const readTftpServerName = (o: DhcpOptions): string | undefined => readText(o, DhcpOption.TftpServerName);
/** Option 67. */
export const readBootfileName = (o: DhcpOptions): string | undefined => readText(o, DhcpOption.BootfileName);

/** Option 55: the codes the client asks for. */
export function readParameterRequestList(options: DhcpOptions): number[] | undefined {
  const v = sized(options, DhcpOption.ParameterRequestList, (n) => n >= 1, 'at least 1');
  return v && [...v];
}

/** Option 57; values under 576 are invalid (RFC 2132 §9.10). */
export function readMaxMessageSize(options: DhcpOptions): number | undefined {
  const v = sized(options, DhcpOption.MaxMessageSize, (n) => n === 2, '2');
  if (v === undefined) return undefined;
  const size = ((v[0] ?? 0) << 8) | (v[1] ?? 0);
  if (size < 576) throw new WireError('RC_ERR_WIRE_INVALID', field(DhcpOption.MaxMessageSize), `max message size ${size} < 576`);
  return size;
}

/** Option 61, raw (type byte + identifier; RFC 2132 §9.14 says at least 2 bytes). */
export function readClientIdentifier(options: DhcpOptions): Uint8Array | undefined {
  return sized(options, DhcpOption.ClientIdentifier, (n) => n >= 2, 'at least 2');
}

/**
 * Option 77. RFC 3004 frames each class with a length byte; iPXE and ISC send one bare
 * string ("iPXE"). A value that parses exactly as RFC 3004 frames of printable text is
 * returned as its classes; anything else as one string.
 */
export function readUserClass(options: DhcpOptions): string[] | undefined {
  const v = sized(options, DhcpOption.UserClass, (n) => n >= 1, 'at least 1');
  if (v === undefined) return undefined;
  const classes: string[] = [];
  let pos = 0;
  while (pos < v.byteLength) {
    const length = v[pos] ?? 0;
    const piece = v.subarray(pos + 1, pos + 1 + length);
    if (length === 0 || piece.byteLength !== length || piece.some((b) => b < 0x20 || b > 0x7e)) return [optionText(v)];
    classes.push(optionText(piece));
    pos += 1 + length;
  }
  return classes;
}
