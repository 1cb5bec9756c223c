import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig, silentLogger, startTftpServer, type TftpServer } from '@rackcast/server';
import { tempDir } from './helpers/temp-dir.js';

// Real TFTP clients (tftp-hpa's tftp, atftp, curl) fetch files from Rackcast's TFTP server on
// loopback, with and without blksize, windowsize, tsize and timeout; every file is compared
// by SHA-256 with the original. The Debian iPXE binaries are served from the configured
// boot.ipxeDir itself, including ipxe.efi, which Debian installs as a link to /boot/ipxe.efi.

const exec = promisify(execFile);
const CLIENT_TIMEOUT_MS = 60_000;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let work: Awaited<ReturnType<typeof tempDir>>;
let root: string;
let server: TftpServer;
let ipxeServer: TftpServer;
let ipxeDir: string;
const files = new Map<string, Buffer>();
let fetchCount = 0;

/** Sizes at the block edges of 512, 1468 and 8192 byte blocks, one big and a rollover file. */
const SIZES: Record<string, number> = {
  'empty.bin': 0,
  'one.bin': 1,
  '511.bin': 511,
  '512.bin': 512,
  '513.bin': 513,
  '1468x3.bin': 1468 * 3,
  '8192.bin': 8192,
  '100k.bin': 100_000,
  '3m.bin': 3 * 1024 * 1024 + 17,
  'rollover.bin': 600_000,
};

async function assertTools(): Promise<void> {
  for (const [cmd, args] of [['tftp', ['-V']], ['atftp', ['--help']], ['curl', ['--version']]] as const) {
    await exec(cmd, [...args]).catch((err: { code?: unknown }) => {
      // atftp --help exits 1; only a missing program is a problem.
      if (err.code === 'ENOENT') throw new Error(`${cmd} is missing: run scripts/install-deps.sh (Debian packages tftp-hpa, atftp, curl)`);
    });
  }
}

before(async () => {
  await assertTools();
  work = await tempDir('tftp-interop');
  root = join(work.path, 'root');
  await mkdir(join(root, 'sub'), { recursive: true });
  for (const [name, size] of Object.entries(SIZES)) {
    const bytes = randomBytes(size);
    files.set(name, bytes);
    await writeFile(join(root, name), bytes);
  }
  const text = Buffer.from('#!ipxe\r\ndhcp\nchain http://10.0.0.1/boot.ipxe\n\nline with a lone \r in it\n'.repeat(40));
  files.set('sub/boot.txt', text);
  await writeFile(join(root, 'sub', 'boot.txt'), text);
  server = await startTftpServer({ host: '127.0.0.1', port: 0, root }, silentLogger());
  const config = loadConfig(undefined, {});
  ipxeDir = config.boot.ipxeDir;
  ipxeServer = await startTftpServer({ host: '127.0.0.1', port: 0, root: ipxeDir, linkTargets: config.tftp.linkTargets }, silentLogger());
});

after(async () => {
  await server?.close();
  await ipxeServer?.close();
  await work?.remove();
});

type Client = 'tftp-hpa' | 'atftp' | 'curl';

/** Fetches `name` with a real client into a fresh local file; returns the bytes. */
async function fetch(client: Client, port: number, name: string, opts: { options?: Record<string, number>; netascii?: boolean; noOptions?: boolean } = {}): Promise<Buffer> {
  const out = join(work.path, `got-${++fetchCount}`);
  const options = Object.entries(opts.options ?? {});
  if (client === 'tftp-hpa') {
    assert.equal(options.length, 0, 'tftp-hpa sends no options');
    await exec('tftp', ['-m', opts.netascii ? 'netascii' : 'octet', '127.0.0.1', String(port), '-c', 'get', name, out], { timeout: CLIENT_TIMEOUT_MS });
  } else if (client === 'atftp') {
    const args = options.flatMap(([k, v]) => ['--option', `${k} ${v}`]);
    await exec('atftp', ['-g', '-r', name, '-l', out, ...args, '127.0.0.1', String(port)], { timeout: CLIENT_TIMEOUT_MS });
  } else {
    const args = options.flatMap(([k, v]) => {
      assert.equal(k, 'blksize', 'curl negotiates only blksize (and tsize on its own)');
      return ['--tftp-blksize', String(v)];
    });
    await exec('curl', ['-sS', '--max-time', '60', ...(opts.noOptions ? ['--tftp-no-options'] : []), ...args, '-o', out, `tftp://127.0.0.1:${port}/${name}`], { timeout: CLIENT_TIMEOUT_MS });
  }
  // tftp-hpa exits 0 even when the server refused: a missing output file is the failure.
  const bytes = await readFile(out);
  await rm(out);
  return bytes;
}

function assertSame(got: Buffer, name: string): void {
  const want = files.get(name);
  assert.ok(want, name);
  assert.equal(got.byteLength, want.byteLength, `${name}: size`);
  assert.equal(sha(got), sha(want), `${name}: SHA-256`);
}

describe('real TFTP clients fetch byte-exact files', () => {
  test('tftp-hpa (RFC 1350 only: 512-byte lock-step, no options): every size', async () => {
    for (const name of Object.keys(SIZES).filter((n) => n !== 'rollover.bin')) assertSame(await fetch('tftp-hpa', server.address.port, name), name);
  });

  const atftpCases: Record<string, number>[] = [
    {},
    { tsize: 0 },
    { blksize: 1468 },
    { blksize: 8192, tsize: 0 },
    { blksize: 65464 },
    { windowsize: 4 },
    { blksize: 1468, windowsize: 8, tsize: 0 },
    { blksize: 8192, windowsize: 16 },
    { blksize: 1468, windowsize: 64, timeout: 2 },
    { timeout: 1 },
  ];
  for (const options of atftpCases) {
    test(`atftp ${JSON.stringify(options)}: every size`, async () => {
      for (const name of Object.keys(SIZES).filter((n) => n !== 'rollover.bin')) assertSame(await fetch('atftp', server.address.port, name, { options }), name);
    });
  }

  for (const blksize of [undefined, 1468, 8192, 65464]) {
    test(`curl ${blksize === undefined ? 'default options (tsize, 512)' : `blksize ${blksize}`}: every size`, async () => {
      // curl 7.88 fails an empty file ("getpeername() failed", exit 71) against tftpd-hpa too.
      for (const name of Object.keys(SIZES).filter((n) => n !== 'rollover.bin' && n !== 'empty.bin')) {
        assertSame(await fetch('curl', server.address.port, name, blksize === undefined ? {} : { options: { blksize } }), name);
      }
    });
  }

  test('curl --tftp-no-options', async () => {
    for (const name of ['512.bin', '100k.bin']) assertSame(await fetch('curl', server.address.port, name, { noOptions: true }), name);
  });

  test('names with a leading slash and in a sub-folder', async () => {
    assertSame(await fetch('tftp-hpa', server.address.port, '/100k.bin'), '100k.bin');
    assertSame(await fetch('atftp', server.address.port, 'sub/boot.txt', { options: { blksize: 1468 } }), 'sub/boot.txt');
  });

  test('netascii: tftp-hpa converts back to the original text (CR LF, lone CR and LF lines)', async () => {
    assertSame(await fetch('tftp-hpa', server.address.port, 'sub/boot.txt', { netascii: true }), 'sub/boot.txt');
  });

  test('block numbers roll over past 65535: 75,000 blocks of 8 bytes, lock-step and windowed', async () => {
    assertSame(await fetch('atftp', server.address.port, 'rollover.bin', { options: { blksize: 8 } }), 'rollover.bin');
    assertSame(await fetch('atftp', server.address.port, 'rollover.bin', { options: { blksize: 8, windowsize: 16 } }), 'rollover.bin');
    assertSame(await fetch('curl', server.address.port, 'rollover.bin', { options: { blksize: 8 } }), 'rollover.bin');
  });

  test('20 clients at once, mixed, all byte-exact', async () => {
    const runs = Array.from({ length: 20 }, (_, i) => {
      const name = ['3m.bin', '100k.bin', '1468x3.bin', '513.bin'][i % 4] as string;
      const client: Client = (['tftp-hpa', 'atftp', 'curl'] as const)[i % 3] as Client;
      const options = client === 'tftp-hpa' ? {} : { options: { blksize: 1468 } };
      return fetch(client, server.address.port, name, options).then((got) => assertSame(got, name));
    });
    await Promise.all(runs);
  });
});

describe("Debian's iPXE binaries from boot.ipxeDir", () => {
  const binaries = ['undionly.kpxe', 'ipxe.efi', 'snponly.efi'];
  for (const name of binaries) {
    test(`${name} with each client, byte-exact`, async () => {
      const want = sha(await readFile(join(ipxeDir, name)));
      const port = ipxeServer.address.port;
      assert.equal(sha(await fetch('tftp-hpa', port, name)), want, 'tftp-hpa');
      assert.equal(sha(await fetch('atftp', port, name, { options: { blksize: 1432, windowsize: 8, tsize: 0 } })), want, 'atftp');
      assert.equal(sha(await fetch('curl', port, name, { options: { blksize: 1468 } })), want, 'curl');
    });
  }
});
