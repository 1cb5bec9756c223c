// Runs Rackcast's TFTP server as its own process, for tests inside a network namespace (a
// process cannot change namespace, so the test spawns this with `ip netns exec`) and for the
// benchmark. Usage:
//   node tftp-server-proc.js '<json TftpServiceOptions>'
// Prints "READY <port>" on stdout once listening; logs JSON lines (level debug) on stderr;
// stops when stdin closes or on SIGTERM.
import { createLogger, startTftpServer, type TftpServiceOptions } from '@rackcast/server';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as TftpServiceOptions;
  const log = createLogger('debug', 2);
  const server = await startTftpServer(options, log);
  process.stdout.write(`READY ${server.address.port}\n`);
  const stop = async (): Promise<void> => {
    await server.close();
    log.flush();
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
  process.once('SIGTERM', () => void stop());
  void server.failure.then((err) => {
    process.stderr.write(`tftp listening socket failed: ${err.message}\n`);
    process.exit(1);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`tftp-server-proc: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
