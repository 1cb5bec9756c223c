import { ClientArch, type BootClientInfo } from '@rackcast/wire';
import { BOOT_PATHS } from './boot-endpoints.js';

/*
 * What a network-booting machine is told, as a pure function of what it said in DHCP, whether
 * the server knows it, and the configured policy. No sockets: net/dhcp asks, and builds the
 * reply from the answer (pixiecore's Booter: "no answer" is a real answer).
 */

/** The firmware a DHCP request comes from, as far as the request tells. */
export type FirmwareClass =
  | { readonly kind: 'pxe-bios' }
  | { readonly kind: 'pxe-uefi-x64' }
  | { readonly kind: 'http-boot-uefi-x64' }
  | { readonly kind: 'ipxe' }
  /** A boot client for which no iPXE binary is shipped (IA32 or ARM UEFI, BIOS HTTP boot, …). */
  | { readonly kind: 'unsupported'; readonly arch: number | null; readonly protocol: 'PXEClient' | 'HTTPClient' }
  | { readonly kind: 'not-boot-client' };

/** What to hand a boot client. */
export type BootAnswer =
  /** Firmware PXE: load this iPXE binary over TFTP from the server (next-server). */
  | { readonly kind: 'tftp'; readonly bootFile: string }
  /** UEFI HTTP boot: load the binary at this URL; the reply must say "HTTPClient" in option 60. */
  | { readonly kind: 'http'; readonly url: string }
  /** iPXE already runs: give it the boot script's URL (never the binary again: no chain-load loop). */
  | { readonly kind: 'ipxe-script'; readonly url: string };

/** An answer, or none with the reason (logged by the caller). */
export type BootVerdict =
  | { readonly answer: BootAnswer; readonly reason?: undefined }
  | { readonly answer: null; readonly reason: string };

/** What `boot.unknownMachines` allows for a machine the registry does not know. */
export type UnknownMachinePolicy = 'register' | 'local' | 'ignore';

export interface BootPolicySettings {
  readonly unknownMachines: UnknownMachinePolicy;
  /** Base URL of the HTTP server as machines see it, e.g. "http://10.0.0.1:8080". */
  readonly httpBaseUrl: string;
}

/**
 * iPXE binaries Debian's `ipxe` package ships (boot.ipxeDir): undionly.kpxe (BIOS, via the
 * PXE ROM's UNDI driver) and ipxe.efi (x86-64 UEFI only; there is no IA32 or ARM build).
 */
export const IPXE_BINARIES = { bios: 'undionly.kpxe', uefiX64: 'ipxe.efi' } as const;

/**
 * Classifies a DHCP client from options 60, 77, 93 and 175 (research/peers.md §5.4). iPXE is
 * recognised first: it also says "PXEClient", and must get the script, not the binary again.
 * A PXE client without option 93 or an Arch field is taken as BIOS: PXE 2.1 ROMs predate
 * RFC 4578, and every UEFI firmware sends 93.
 */
export function classifyFirmware(client: BootClientInfo): FirmwareClass {
  if (client.isIpxe) return { kind: 'ipxe' };
  if (client.bootProtocol === 'PXEClient') {
    const arch = client.arch ?? ClientArch.X86Bios;
    if (arch === ClientArch.X86Bios) return { kind: 'pxe-bios' };
    // 7 and 9 both mean x64 UEFI in the field (RFC 4578 errata; firmware disagrees).
    if (arch === ClientArch.EfiX64 || arch === ClientArch.EfiX64Alt) return { kind: 'pxe-uefi-x64' };
    return { kind: 'unsupported', arch, protocol: 'PXEClient' };
  }
  if (client.bootProtocol === 'HTTPClient') {
    // 15 is 32-bit x86 UEFI HTTP boot: it cannot run the x64 ipxe.efi, so it is not served.
    if (client.arch === ClientArch.EfiX64Http) return { kind: 'http-boot-uefi-x64' };
    return { kind: 'unsupported', arch: client.arch, protocol: 'HTTPClient' };
  }
  return { kind: 'not-boot-client' };
}

/**
 * Decides the answer. Only `ignore` leaves an unknown machine unanswered. With `local`, the
 * machine still gets iPXE and the script, and the script says `exit 1` (boot the next device):
 * answering nothing would leave the firmware waiting out its PXE timeouts (seconds to
 * minutes, some retry forever) before it tries the disk, and the script request is how the
 * server records that the machine was seen. `register` boots the preboot agent, which
 * registers the machine; the script, not DHCP, tells those two apart.
 */
export function decideBoot(client: BootClientInfo, known: boolean, settings: BootPolicySettings): BootVerdict {
  const firmware = classifyFirmware(client);
  if (firmware.kind === 'not-boot-client') return { answer: null, reason: 'not a network-boot client' };
  if (firmware.kind === 'unsupported') {
    return { answer: null, reason: `no iPXE binary for ${firmware.protocol} architecture ${firmware.arch ?? 'unknown'}` };
  }
  if (!known && settings.unknownMachines === 'ignore') return { answer: null, reason: 'unknown machine and boot.unknownMachines is ignore' };
  const base = settings.httpBaseUrl.replace(/\/+$/, '');
  switch (firmware.kind) {
    case 'ipxe': return { answer: { kind: 'ipxe-script', url: `${base}${BOOT_PATHS.ipxeScript}` } };
    case 'pxe-bios': return { answer: { kind: 'tftp', bootFile: IPXE_BINARIES.bios } };
    case 'pxe-uefi-x64': return { answer: { kind: 'tftp', bootFile: IPXE_BINARIES.uefiX64 } };
    case 'http-boot-uefi-x64': return { answer: { kind: 'http', url: `${base}${BOOT_PATHS.files}/${IPXE_BINARIES.uefiX64}` } };
  }
}

/** A DHCP boot query: the client's MAC and what it said. */
export interface BootQuery {
  readonly mac: string;
  readonly client: BootClientInfo;
}

export interface BootDeciderOptions extends BootPolicySettings {
  /** The machine registry's lookup (lowercase colon MAC). */
  readonly isKnownMachine: (mac: string) => Promise<boolean>;
}

/**
 * The function net/dhcp calls per boot request: looks the machine up only when the answer can
 * depend on it (a boot client, with `ignore` configured), then decides.
 */
export function createBootDecider(options: BootDeciderOptions): (query: BootQuery) => Promise<BootVerdict> {
  const settings: BootPolicySettings = { unknownMachines: options.unknownMachines, httpBaseUrl: options.httpBaseUrl };
  return async ({ mac, client }) => {
    const needsLookup = settings.unknownMachines === 'ignore' && classifyFirmware(client).kind !== 'not-boot-client';
    const known = needsLookup ? await options.isKnownMachine(mac) : false;
    return decideBoot(client, known, settings);
  };
}
