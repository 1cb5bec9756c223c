#!/usr/bin/env node
// Rackcast's TFTP server as the benchmark runs it: one process, started inside the server's
// network namespace. Usage: node rackcast-tftp.mjs '<json TftpServiceOptions>'
// Prints "READY <port>" once listening; logs warnings on stderr; stops on SIGTERM.
import { createLogger, startTftpServer } from '@rackcast/server';

const options = JSON.parse(process.argv[2] ?? '{}');
const log = createLogger('warn', 2);
const server = await startTftpServer(options, log);
process.stdout.write(`READY ${server.address.port}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
