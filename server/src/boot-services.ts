import type { BootEndpoints } from './boot/index.js';
import { createBootDecider } from './boot/boot-policy.js';
import type { RackcastConfig } from './config/index.js';
import type { Logger } from './log.js';
import type { MachineRegistry } from './machine/index.js';
import type { BootCounters } from './metrics/index.js';
import { startDhcpServer, type DhcpLease, type RunningDhcpServer } from './net/dhcp/index.js';
import { startTftpServer, type TftpServer } from './net/tftp/index.js';
import type { ImageStore } from './store/index.js';

/** DHCP and TFTP on the boot network, as config asks; stopped together. */
export interface BootServices {
  readonly dhcp: RunningDhcpServer | null;
  readonly tftp: TftpServer | null;
  close(): Promise<void>;
}

/**
 * Starts the services that answer machines before they speak HTTP. Both need boot.interface:
 * without it the server only serves HTTP boot (a site's own DHCP points machines at it).
 * Runs after HTTP listens, because DHCP hands out URLs with the real port.
 */
export async function startBootServices(config: Readonly<RackcastConfig>, endpoints: BootEndpoints, store: ImageStore, machines: MachineRegistry, log: Logger, counters?: BootCounters): Promise<BootServices> {
  let dhcp: RunningDhcpServer | null = null;
  let tftp: TftpServer | null = null;
  const close = async () => {
    await dhcp?.close();
    await tftp?.close();
  };
  if (endpoints.interfaceName === null) {
    log.info('boot.interface is empty: no DHCP or TFTP (HTTP boot only)');
    return { dhcp, tftp, close };
  }
  try {
    if (config.tftp.enabled) {
      const t = config.tftp;
      tftp = await startTftpServer({
        host: endpoints.address, port: t.port, maxTransfers: t.maxTransfers, maxBlockSize: t.maxBlockSize, maxWindowSize: t.maxWindowSize,
        root: config.boot.ipxeDir, linkTargets: t.linkTargets,
        ...(counters ? { onRequest: counters.tftpRequest } : {}),
      }, log);
    }
    if (config.dhcp.mode !== 'off') {
      dhcp = await startDhcpServer({
        mode: config.dhcp.mode, interfaceName: endpoints.interfaceName, serverAddress: endpoints.address,
        port: config.dhcp.port, proxyPort: config.dhcp.proxyPort, range: config.dhcp.range,
        leases: store.stateArea<DhcpLease>('dhcp-lease'),
        decideBoot: createBootDecider({
          unknownMachines: config.boot.unknownMachines, httpBaseUrl: endpoints.httpBaseUrl,
          isKnownMachine: (mac) => Promise.resolve(machines.isKnownMachine(mac)),
        }),
        log,
        ...(counters ? { onRequest: counters.dhcpRequest } : {}),
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  log.info({ interface: endpoints.interfaceName, address: endpoints.address, dhcp: config.dhcp.mode, tftp: config.tftp.enabled }, 'boot services started');
  return { dhcp, tftp, close };
}
