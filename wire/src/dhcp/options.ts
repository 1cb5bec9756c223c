import { WireError } from '../wire-error.js';

/*
 * DHCP options (RFC 2132) as a map from code to value bytes. Written in-project rather than
 * taken from the `dhcp` npm package: that package throws on the first DISCOVER of a real iPXE
 * ROM (its option table has no `config` for 60), corrupts option 61, mis-steps over PAD, and
 * does not check option lengths against the packet (research/deps.md §1).
 */

/** Option codes this project reads or writes, with the spec that defines each. */
export const DhcpOption = {
  Pad: 0, // RFC 2132 §3.1
  SubnetMask: 1, // RFC 2132 §3.3
  Router: 3, // RFC 2132 §3.5
  DomainNameServer: 6, // RFC 2132 §3.8
  HostName: 12, // RFC 2132 §3.14
  VendorSpecific: 43, // RFC 2132 §8.4; PXE 2.1 §2.4 when option 60 is PXEClient
  RequestedIpAddress: 50, // RFC 2132 §9.1
  LeaseTime: 51, // RFC 2132 §9.2
  OptionOverload: 52, // RFC 2132 §9.3
  MessageType: 53, // RFC 2132 §9.6
  ServerIdentifier: 54, // RFC 2132 §9.7
  ParameterRequestList: 55, // RFC 2132 §9.8
  Message: 56, // RFC 2132 §9.9
  MaxMessageSize: 57, // RFC 2132 §9.10
  RenewalTime: 58, // RFC 2132 §9.11
  RebindingTime: 59, // RFC 2132 §9.12
  VendorClassIdentifier: 60, // RFC 2132 §9.13
  ClientIdentifier: 61, // RFC 2132 §9.14
  TftpServerName: 66, // RFC 2132 §9.4
  BootfileName: 67, // RFC 2132 §9.5
  UserClass: 77, // RFC 3004 (iPXE sends a bare string)
  ClientSystemArch: 93, // RFC 4578 §2.1
  ClientNdi: 94, // RFC 4578 §2.2
  ClientMachineId: 97, // RFC 4578 §2.3 (UUID/GUID)
  IpxeEncapsulated: 175, // iPXE: http://ipxe.org/howto/dhcpd
  End: 255, // RFC 2132 §3.2
} as const;

/** DHCP message types (option 53). RFC 2132 §9.6 */
export const DhcpMessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
} as const;
export type DhcpMessageTypeId = (typeof DhcpMessageType)[keyof typeof DhcpMessageType];

/**
 * Options by code. A value is the concatenation of every instance of its code in the order
 * RFC 3396 §7 prescribes (options field, then `file`, then `sname`), so a long option split
 * by the sender reads as one.
 */
export type DhcpOptions = ReadonlyMap<number, Uint8Array>;

/**
 * Decodes a run of code-length-value options (the options field, an overloaded `file` or
 * `sname`, or the sub-options of 43/175) into `into`. PAD is skipped, END stops. A missing END
 * at the end of the bytes is accepted (firmware seen omitting it in sub-options); a length
 * running past the end is RC_ERR_WIRE_TRUNCATED naming `field`.
 */
export function decodeOptionRun(bytes: Uint8Array, field: string, into: Map<number, Uint8Array> = new Map()): Map<number, Uint8Array> {
  let pos = 0;
  while (pos < bytes.byteLength) {
    const code = bytes[pos] as number;
    if (code === DhcpOption.Pad) { pos += 1; continue; }
    if (code === DhcpOption.End) return into;
    if (pos + 1 >= bytes.byteLength) throw new WireError('RC_ERR_WIRE_TRUNCATED', `${field} option ${code}`, 'option without a length byte');
    const length = bytes[pos + 1] as number;
    const start = pos + 2;
    if (start + length > bytes.byteLength) {
      throw new WireError('RC_ERR_WIRE_TRUNCATED', `${field} option ${code}`, `length ${length} runs past the end`);
    }
    appendOption(into, code, bytes.subarray(start, start + length));
    pos = start + length;
  }
  return into;
}

function appendOption(into: Map<number, Uint8Array>, code: number, value: Uint8Array): void {
  const before = into.get(code);
  if (before === undefined) { into.set(code, value); return; }
  const joined = new Uint8Array(before.byteLength + value.byteLength);
  joined.set(before);
  joined.set(value, before.byteLength);
  into.set(code, joined);
}

/** Bytes the encoding of `options` takes (split into 255-byte instances, RFC 3396), without END. */
export function encodedOptionsLength(options: DhcpOptions): number {
  let total = 0;
  for (const value of options.values()) total += 2 * Math.max(1, Math.ceil(value.byteLength / 255)) + value.byteLength;
  return total;
}

/**
 * Writes `options` at `out[at]` in map order, splitting values over 255 bytes into several
 * instances (RFC 3396 §5), and returns the position after them. END is not written.
 */
export function writeOptionRun(out: Uint8Array, at: number, options: DhcpOptions): number {
  let pos = at;
  for (const [code, value] of options) {
    if (!Number.isInteger(code) || code <= DhcpOption.Pad || code >= DhcpOption.End) {
      throw new WireError('RC_ERR_WIRE_INVALID', `option ${code}`, 'option code must be 1..254');
    }
    let offset = 0;
    do {
      // Byte loop, not subarray + set: most options are a few bytes, and the views cost more.
      const length = Math.min(255, value.byteLength - offset);
      out[pos] = code;
      out[pos + 1] = length;
      for (let i = 0; i < length; i++) out[pos + 2 + i] = value[offset + i] as number;
      pos += 2 + length;
      offset += 255;
    } while (offset < value.byteLength);
  }
  return pos;
}

/** Encodes sub-options (43, 175) as one value, END-terminated as PXE 2.1 §2.4 shows. */
export function encodeSubOptions(options: DhcpOptions): Uint8Array {
  for (const [code, value] of options) {
    if (value.byteLength > 255) throw new WireError('RC_ERR_WIRE_INVALID', `sub-option ${code}`, 'sub-option longer than 255 bytes');
  }
  const out = new Uint8Array(encodedOptionsLength(options) + 1);
  const end = writeOptionRun(out, 0, options);
  out[end] = DhcpOption.End;
  return out;
}
