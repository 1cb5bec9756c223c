import { WireError } from '../wire-error.js';
import { DhcpOption, decodeOptionRun, encodeSubOptions, type DhcpOptions } from './options.js';
import { readUserClass, readVendorClass } from './option-values.js';

/*
 * What network-boot firmware says about itself in DHCP (research/peers.md §5.4): option 60
 * (PXEClient / HTTPClient), 93 (architecture), 94 (UNDI version), 97 (machine GUID), 77 (user
 * class "iPXE") and 175 (iPXE's encapsulated options).
 */

/** RFC 4578 §2.1 + IANA "Processor Architecture Types": the codes firmware is seen sending. */
export const ClientArch = {
  X86Bios: 0,
  EfiIa32: 6,
  /** RFC 4578 calls 7 "EFI BC"; firmware uses 7 and 9 for x64 alike. */
  EfiX64: 7,
  EfiX64Alt: 9,
  EfiArm32: 10,
  EfiArm64: 11,
  EfiX86Http: 15,
  EfiX64Http: 16,
  EfiArm32Http: 18,
  EfiArm64Http: 19,
  X86BiosHttp: 20,
} as const;

/** PXE 2.1 §2.4 vendor sub-options of option 43. */
export const PxeSubOption = {
  /** Bit 3 (value 8): boot the file named in the offer, skip boot server discovery. */
  DiscoveryControl: 6,
} as const;
export const PXE_DISCOVERY_USE_BOOTFILE = 8;

/** iPXE sub-options of option 175 (iPXE src/include/ipxe/dhcp.h). */
export const IpxeSubOption = {
  Priority: 1,
  /** Feature flag: iPXE can fetch over HTTP. */
  FeatureHttp: 19,
  FeatureHttps: 20,
  /** "Do not wait for ProxyDHCP": set to 1 by a full DHCP server that is also the boot server. */
  NoPxeDhcp: 176,
  BusId: 177,
  Version: 235,
} as const;

/** Option 94, RFC 4578 §2.2. */
export interface ClientNdi {
  readonly type: number;
  readonly major: number;
  readonly minor: number;
}

/** The boot-relevant facts a client states in its request; null where it says nothing. */
export interface BootClientInfo {
  /** The whole option 60, e.g. "PXEClient:Arch:00007:UNDI:003010" or "udhcp 1.35.0". */
  readonly vendorClass: string | null;
  /** Which boot protocol option 60 announces, from its prefix. */
  readonly bootProtocol: 'PXEClient' | 'HTTPClient' | null;
  /** First code of option 93, else the Arch field of option 60. */
  readonly arch: number | null;
  readonly ndi: ClientNdi | null;
  /** Option 97 as sent (17 bytes, type 0 + GUID), to be echoed in replies. */
  readonly machineId: Uint8Array | null;
  readonly userClasses: readonly string[];
  /** User class "iPXE" or option 175 present: the client already runs iPXE. */
  readonly isIpxe: boolean;
  /** Sub-options of option 175, when present. */
  readonly ipxeOptions: DhcpOptions | null;
}

/** Option 93: the architecture codes, in the client's order of preference. */
export function readClientArch(options: DhcpOptions): number[] | undefined {
  const v = options.get(DhcpOption.ClientSystemArch);
  if (v === undefined) return undefined;
  if (v.byteLength < 2 || v.byteLength % 2 !== 0) throw new WireError('RC_ERR_WIRE_INVALID', 'option 93', `length ${v.byteLength}, want a multiple of 2`);
  const out: number[] = [];
  for (let at = 0; at < v.byteLength; at += 2) out.push(((v[at] ?? 0) << 8) | (v[at + 1] ?? 0));
  return out;
}

/** Option 94. */
export function readClientNdi(options: DhcpOptions): ClientNdi | undefined {
  const v = options.get(DhcpOption.ClientNdi);
  if (v === undefined) return undefined;
  if (v.byteLength !== 3) throw new WireError('RC_ERR_WIRE_INVALID', 'option 94', `length ${v.byteLength}, want 3`);
  return { type: v[0] ?? 0, major: v[1] ?? 0, minor: v[2] ?? 0 };
}

/** Option 97: 17 bytes, type 0 then the GUID (RFC 4578 §2.3). */
export function readClientMachineId(options: DhcpOptions): Uint8Array | undefined {
  const v = options.get(DhcpOption.ClientMachineId);
  if (v === undefined) return undefined;
  if (v.byteLength !== 17 || v[0] !== 0) throw new WireError('RC_ERR_WIRE_INVALID', 'option 97', `length ${v.byteLength} type ${v[0] ?? '-'}, want 17 bytes of type 0`);
  return v;
}

/** Option 43 as PXE sub-options. */
export function readPxeVendorOptions(options: DhcpOptions): Map<number, Uint8Array> | undefined {
  const v = options.get(DhcpOption.VendorSpecific);
  return v && decodeOptionRun(v, 'option 43');
}

/** Option 175 as iPXE sub-options. */
export function readIpxeOptions(options: DhcpOptions): Map<number, Uint8Array> | undefined {
  const v = options.get(DhcpOption.IpxeEncapsulated);
  return v && decodeOptionRun(v, 'option 175');
}

/** Option 43 for a BIOS ProxyDHCP reply: discovery control 8, boot the offered file. */
export function encodePxeBootfileOnly(): Uint8Array {
  return encodeSubOptions(new Map([[PxeSubOption.DiscoveryControl, Uint8Array.of(PXE_DISCOVERY_USE_BOOTFILE)]]));
}

/** Option 175 with 176 = 1: tells iPXE not to wait for ProxyDHCP offers (research/lab.md §7.3). */
export function encodeIpxeNoProxyWait(): Uint8Array {
  return encodeSubOptions(new Map([[IpxeSubOption.NoPxeDhcp, Uint8Array.of(1)]]));
}

/** The Arch field of "PXEClient:Arch:00007:UNDI:003010" (decimal, PXE 2.1 §2.2). */
function archFromVendorClass(vendorClass: string): number | null {
  const m = /^(?:PXE|HTTP)Client:Arch:(\d{5})/.exec(vendorClass);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/**
 * Reads the boot facts of a request. Throws WireError when one of the options it reads is
 * malformed (the caller drops the packet); absent options become null.
 */
export function describeBootClient(options: DhcpOptions): BootClientInfo {
  const vendorClass = readVendorClass(options) ?? null;
  const bootProtocol = vendorClass?.startsWith('PXEClient') ? 'PXEClient' : vendorClass?.startsWith('HTTPClient') ? 'HTTPClient' : null;
  const userClasses = readUserClass(options) ?? [];
  const ipxeOptions = readIpxeOptions(options) ?? null;
  const arch = readClientArch(options)?.[0] ?? (vendorClass === null ? null : archFromVendorClass(vendorClass));
  return {
    vendorClass, bootProtocol, arch,
    ndi: readClientNdi(options) ?? null,
    machineId: readClientMachineId(options) ?? null,
    userClasses,
    isIpxe: userClasses.includes('iPXE') || ipxeOptions !== null,
    ipxeOptions,
  };
}
