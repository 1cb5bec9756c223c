// Runs Rackcast's DHCP server inside a network namespace for the DHCP socket tests (a process
// cannot change namespace, so the test spawns this with `ip netns exec`). Usage:
//   node dhcp-server-proc.js '<json DhcpProcConfig>'
// Prints "READY {ports}" on stdout once listening; logs JSON lines (level debug) on stderr;
// stops when stdin closes or on SIGTERM.
import { ImageStore, createBootDecider, createLogger, startDhcpServer, type DhcpLease, type DhcpRange } from '@rackcast/server';

export interface DhcpProcConfig {
  mode: 'proxy' | 'full';
  interfaceName: string | null;
  serverAddress: string;
  port: number;
  proxyPort: number;
  httpBaseUrl: string;
  unknownMachines: 'register' | 'local' | 'ignore';
  knownMacs: string[];
  range?: DhcpRange;
  /** Full mode: the store folder whose LevelDB keeps the leases (stateArea 'dhcp-lease'). */
  storeDir?: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as DhcpProcConfig;
  const log = createLogger('debug', 2);
  const store = config.storeDir === undefined ? null : await ImageStore.open({ dir: config.storeDir, blockSize: 262144, keepVersions: 0, log });
  const known = new Set(config.knownMacs);
  const server = await startDhcpServer({
    mode: config.mode, interfaceName: config.interfaceName, serverAddress: config.serverAddress, port: config.port, proxyPort: config.proxyPort,
    ...(config.range ? { range: config.range } : {}),
    ...(store ? { leases: store.stateArea<DhcpLease>('dhcp-lease') } : {}),
    decideBoot: createBootDecider({ unknownMachines: config.unknownMachines, httpBaseUrl: config.httpBaseUrl, isKnownMachine: async (mac) => known.has(mac) }),
    log,
  });
  process.stdout.write(`READY ${JSON.stringify(server.ports)}\n`);
  const stop = async (): Promise<void> => {
    await server.close();
    await store?.close();
    log.flush();
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
  process.once('SIGTERM', () => void stop());
  server.serving.catch((err: unknown) => { process.stderr.write(`serving failed: ${String(err)}\n`); process.exit(1); });
}

main().catch((err: unknown) => {
  process.stderr.write(`dhcp-server-proc: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
