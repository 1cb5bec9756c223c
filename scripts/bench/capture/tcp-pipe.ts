// The peer's transport for the capture benchmark (no nc or socat on the bench machines):
//   tcp-pipe.js sink --host IP --port P --out FILE   accepts one connection, writes it to FILE,
//                                                    fsyncs, prints {"bytes": N}, then closes
//   tcp-pipe.js send --host IP --port P              copies stdin to the connection, half-closes,
//                                                    and exits when the sink has closed (stored)
// so the sender's wall time covers the data being on the server's disk, as a capture's commit does.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';

function option(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

const TIMEOUT_MS = 30 * 60_000;

async function sink(host: string, port: number, out: string): Promise<void> {
  // Half-open: the sender's end of data must not close our side before the data is fsynced.
  const server = createServer({ allowHalfOpen: true });
  server.listen(port, host);
  await once(server, 'listening');
  process.stdout.write('listening\n');
  const [socket] = (await once(server, 'connection')) as [Socket];
  server.close();
  let bytes = 0;
  socket.on('data', (d: Buffer) => { bytes += d.length; });
  await pipeline(socket, createWriteStream(out));
  const file = await open(out, 'r');
  await file.sync();
  await file.close();
  process.stdout.write(`${JSON.stringify({ bytes })}\n`);
  socket.end();
}

async function send(host: string, port: number): Promise<void> {
  const socket = connect(port, host);
  await once(socket, 'connect');
  socket.on('data', () => undefined);
  const closed = once(socket, 'close');
  process.stdin.pipe(socket);
  await closed;
}

const mode = process.argv[2];
const timer = setTimeout(() => { process.stderr.write('tcp-pipe: timed out\n'); process.exit(2); }, TIMEOUT_MS);
const done = mode === 'sink' ? sink(option('host'), Number(option('port')), option('out'))
  : mode === 'send' ? send(option('host'), Number(option('port')))
  : Promise.reject(new Error('usage: tcp-pipe.js sink|send --host IP --port P [--out FILE]'));
done.then(() => { clearTimeout(timer); }, (err: unknown) => {
  process.stderr.write(`tcp-pipe: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
