// Runs Rackcast's DHCP server for the benchmark (inside the server namespace). Usage:
//   node rackcast-dhcp.mjs '<json: mode, interfaceName, serverAddress, range, storeDir>'
// Logs at info (offers log nothing at info, like dnsmasq --quiet-dhcp); stops on SIGTERM.
import { ImageStore, createBootDecider, createLogger, startDhcpServer } from '@rackcast/server';

const config = JSON.parse(process.argv[2] ?? '{}');
const log = createLogger('info', 2);
const store = await ImageStore.open({ dir: config.storeDir, blockSize: 262144, keepVersions: 0, log });
const server = await startDhcpServer({
  mode: config.mode, interfaceName: config.interfaceName, serverAddress: config.serverAddress, port: 67, proxyPort: 4011,
  range: config.range, leases: store.stateArea('dhcp-lease'),
  decideBoot: createBootDecider({ unknownMachines: 'register', httpBaseUrl: `http://${config.serverAddress}:8080`, isKnownMachine: async () => true }),
  log,
});
process.stdout.write('READY\n');
process.once('SIGTERM', async () => {
  await server.close();
  await store.close();
  process.exit(0);
});
