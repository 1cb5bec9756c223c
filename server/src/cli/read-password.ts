import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { checkPassword } from '../auth/index.js';
import { RackcastError } from '../errors.js';

/** The first line of stdin (for `--password-stdin`: CI and scripts have no terminal). */
export async function readLineFromStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const lines = createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new RackcastError('RC_ERR_BAD_REQUEST', '--password-stdin: stdin was empty; pipe the password in, e.g. `printf %s "$PW" | rackcast user add …`');
}

/** Asks on the terminal without echo. */
function ask(prompt: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  return new Promise((resolve) => {
    rl.once('line', (line) => {
      rl.close();
      process.stderr.write('\n');
      resolve(line);
    });
  });
}

/** A new password: from stdin with `--password-stdin`, else typed twice on the terminal. */
export async function readNewPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) return readLineFromStdin();
  if (!process.stdin.isTTY) {
    throw new RackcastError('RC_ERR_BAD_REQUEST', 'no terminal to ask for the password: pass --password-stdin and pipe it in');
  }
  const first = await ask('new password: ');
  checkPassword(first);
  if ((await ask('again: ')) !== first) throw new RackcastError('RC_ERR_BAD_REQUEST', 'the two passwords differ; nothing was changed');
  return first;
}
