import { BOOT_PATHS } from './boot-endpoints.js';

/*
 * The iPXE scripts the HTTP server hands out, as pure text renderers (tested against exact
 * expected scripts). iPXE expands ${...} settings in every command line, so values the server
 * inserts are checked to hold no "$", quote, space or line break.
 */

/** Preboot files named in the agent script; under UEFI the kernel's EFI stub loads initrds by these names. */
export const PREBOOT_FILES = { kernel: 'vmlinuz', initrd: 'initrd.img', agent: 'agent.img' } as const;

const SAFE_URL = /^https?:\/\/[A-Za-z0-9.:[\]_-]+(\/[A-Za-z0-9._~/-]*)?$/;
const SAFE_TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

function checked(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`${what} ${JSON.stringify(value)} cannot be put in an iPXE script`);
  return value;
}

/** Kernel arguments from config, on one line: a line break would start a new iPXE command. */
function oneLine(args: string): string {
  return args.replace(/\s+/g, ' ').trim();
}

/**
 * The first script (the DHCP boot file name points here): iPXE does not expand settings in the
 * DHCP file name (research/lab.md pitfall 14), so this chains to the per-machine script with
 * the MAC, SMBIOS UUID, firmware platform (pcbios/efi) and iPXE build architecture filled in.
 */
export function renderChainScript(baseUrl: string): string {
  const base = checked(baseUrl, SAFE_URL, 'base URL');
  // TODO: ${net0/mac} is the first NIC, not necessarily the one that booted; ${netX/mac} would
  // be, but is not yet tried with the Debian iPXE build in the lab.
  return `#!ipxe\nchain ${base}${BOOT_PATHS.ipxeScript}?mac=\${net0/mac}&uuid=\${uuid}&platform=\${platform}&buildarch=\${buildarch}\n`;
}

/** What the agent script needs: where the server is, extra kernel arguments, and the machine's one-time token. */
export interface AgentScriptInput {
  /** e.g. "http://10.0.0.1:8080". */
  readonly baseUrl: string;
  /** boot.kernelArgs, e.g. "console=tty0 console=ttyS0,115200". */
  readonly kernelArgs: string;
  readonly token: string;
}

/**
 * Boots the preboot kernel with the base initramfs and the agent archive. The command line
 * carries the server URL, the one-time token and BOOTIF (pxelinux's form, "01-" + the MAC with
 * hyphens) so the agent knows which NIC booted.
 */
export function renderAgentScript(input: AgentScriptInput): string {
  const base = checked(input.baseUrl, SAFE_URL, 'base URL');
  const token = checked(input.token, SAFE_TOKEN, 'token');
  const files = `${base}${BOOT_PATHS.files}`;
  const { kernel, initrd, agent } = PREBOOT_FILES;
  const args = [`initrd=${initrd}`, `initrd=${agent}`, oneLine(input.kernelArgs), `rackcast.server=${base}`, `rackcast.token=${token}`, 'BOOTIF=01-${net0/mac:hexhyp}']
    .filter((a) => a !== '');
  return `#!ipxe\nkernel ${files}/${kernel} ${args.join(' ')}\ninitrd ${files}/${initrd}\ninitrd ${files}/${agent}\nboot\n`;
}

/**
 * Boot the next device (the local disk). `exit 1`, not `exit`: EDK2 treats a boot option that
 * returns success as "show the boot manager" and stops there (research/lab.md pitfall 8).
 */
export function renderLocalBootScript(): string {
  return '#!ipxe\nexit 1\n';
}

/** Refuses to boot anything, with a line on the machine's console saying why. */
export function renderRefusalScript(reason: string): string {
  const text = reason.replace(/[^A-Za-z0-9 .,:;()/_-]/g, ' ').slice(0, 200);
  return `#!ipxe\necho Rackcast: ${text}\nexit 1\n`;
}
