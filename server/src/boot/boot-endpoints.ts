import { networkInterfaces } from 'node:os';
import type { RackcastConfig } from '../config/index.js';
import { RackcastError } from '../errors.js';

/** Where machines on the boot network reach this server. */
export interface BootEndpoints {
  /** Interface DHCP and TFTP serve on; null when boot.interface is empty (no DHCP/TFTP). */
  readonly interfaceName: string | null;
  /** This server's IPv4 address on the boot network (next-server, TFTP, URLs). */
  readonly address: string;
  /** Base URL of the HTTP server as machines see it, without a trailing slash. */
  readonly httpBaseUrl: string;
}

/** Paths under httpBaseUrl that DHCP hands out and the HTTP server answers. */
export const BOOT_PATHS = {
  /** iPXE script: without `mac` it chains to itself with the machine's MAC and platform. */
  ipxeScript: '/boot/ipxe',
  /** Static boot files (kernel, initramfs, iPXE binaries for UEFI HTTP boot): /boot/files/<name>. */
  files: '/boot/files',
} as const;

/**
 * Resolves boot.interface / boot.address / boot.httpBaseUrl once at start-up. The address
 * defaults to the interface's first IPv4 address; with neither, machines are told the HTTP
 * host (which must then be a concrete address, not 0.0.0.0).
 */
export function resolveBootEndpoints(config: Readonly<RackcastConfig>, httpPort: number, interfaces = networkInterfaces()): BootEndpoints {
  const name = config.boot.interface === '' ? null : config.boot.interface;
  let address = config.boot.address;
  if (address === '' && name !== null) {
    const entries = interfaces[name];
    if (entries === undefined) {
      throw new RackcastError('RC_ERR_CONFIG_INVALID', `config key boot.interface: no network interface named "${name}" on this host`, { interface: name });
    }
    const v4 = entries.find((e) => e.family === 'IPv4');
    if (v4 === undefined) {
      throw new RackcastError('RC_ERR_CONFIG_INVALID', `config key boot.interface: interface "${name}" has no IPv4 address; set boot.address`, { interface: name });
    }
    address = v4.address;
  }
  if (address === '') address = config.http.host;
  if (address === '0.0.0.0') {
    throw new RackcastError('RC_ERR_CONFIG_INVALID', 'config key boot.address: cannot tell machines to reach 0.0.0.0; set boot.address or boot.interface', {});
  }
  const httpBaseUrl = (config.boot.httpBaseUrl === '' ? `http://${address}:${httpPort}` : config.boot.httpBaseUrl).replace(/\/+$/, '');
  return { interfaceName: name, address, httpBaseUrl };
}
