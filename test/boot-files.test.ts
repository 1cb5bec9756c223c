import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { loadConfig, silentLogger, startServer, type RackcastConfig, type RunningServer } from '@rackcast/server';
import { tempDir } from './helpers/temp-dir.js';

/*
 * The HTTP boot side as firmware sees it: iPXE scripts per MAC and policy, and the kernel,
 * initramfs and iPXE binaries fetched with curl (a real HTTP client with Range support).
 */

const run = promisify(execFile);

let headerFiles = 0;

/** curl on loopback; returns the body as bytes and the response headers (through a file: curl 7.88 crashes writing them to a piped stderr). */
async function curl(args: readonly string[]): Promise<{ body: Buffer; headers: string }> {
  const headerFile = join(tmpdir(), `rackcast-curl-${process.pid}-${headerFiles++}.txt`);
  try {
    const { stdout } = await run('curl', ['-s', '--max-time', '30', '-D', headerFile, ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    return { body: stdout, headers: await readFile(headerFile, 'utf8') };
  } finally {
    await rm(headerFile, { force: true });
  }
}

const status = (headers: string): number => Number(/^HTTP\/1\.1 (\d{3})/m.exec(headers)?.[1]);

describe('HTTP boot: scripts and files', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let config: RackcastConfig;
  let server: RunningServer;
  const files: Record<string, Buffer> = {};

  before(async () => {
    dir = await tempDir('boot-files');
    const preboot = join(dir.path, 'preboot');
    await mkdir(preboot);
    // Odd sizes, so ranges near the end and block boundaries are exercised.
    for (const [name, size] of [['vmlinuz', 3 * 1024 * 1024 + 17], ['initrd.img', 1024 * 1024 + 1], ['agent.img', 4099]] as const) {
      files[name] = randomBytes(size);
      await writeFile(join(preboot, name), files[name]);
    }
    await writeFile(join(dir.path, 'secret.txt'), 'not for machines');
    await symlink(join(dir.path, 'secret.txt'), join(preboot, 'notes.txt'));
    config = loadConfig(undefined, { RACKCAST_STORE_DIR: join(dir.path, 'store'), RACKCAST_HTTP_PORT: '0' });
    config = { ...config, boot: { ...config.boot, prebootDir: preboot } };
    server = await startServer(config, silentLogger());
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  test('without a MAC, the script chains to the per-machine script', async () => {
    const { body, headers } = await curl([`${server.url}/boot/ipxe`]);
    assert.equal(status(headers), 200);
    assert.match(headers, /content-type: text\/plain/i);
    assert.equal(body.toString(), `#!ipxe\nchain ${server.url}/boot/ipxe?mac=\${net0/mac}&uuid=\${uuid}&platform=\${platform}&buildarch=\${buildarch}\n`);
  });

  test('per MAC: the agent with a fresh token each time; local after a local job; a malformed MAC is refused by script', async () => {
    const url = (mac: string) => `${server.url}/boot/ipxe?mac=${mac}&uuid=4c4c4544-0042-3510&platform=efi&buildarch=x86_64`;
    const first = (await curl([url('52:54:00:0A:00:01')])).body.toString();
    const second = (await curl([url('52:54:00:0a:00:01')])).body.toString();
    const token = (s: string) => /rackcast\.token=([A-Za-z0-9_-]+) /.exec(s)?.[1];
    assert.match(first, new RegExp(`^#!ipxe\\nkernel ${server.url}/boot/files/vmlinuz initrd=initrd\\.img initrd=agent\\.img console=tty0 console=ttyS0,115200 rackcast\\.server=${server.url} rackcast\\.token=[A-Za-z0-9_-]{32} BOOTIF=01-\\$\\{net0/mac:hexhyp\\}\\ninitrd ${server.url}/boot/files/initrd\\.img\\ninitrd ${server.url}/boot/files/agent\\.img\\nboot\\n$`));
    assert.notEqual(token(first), token(second), 'every script carries a new token');
    const machine = server.machines.get('52:54:00:0a:00:01');
    assert.deepEqual([machine.state, machine.lastBoot?.platform, machine.lastBoot?.buildarch], ['booting', 'efi', 'x86_64']);
    await server.machines.setJob('52:54:00:0a:00:01', 'local');
    assert.equal((await curl([url('52:54:00:0a:00:01')])).body.toString(), '#!ipxe\nexit 1\n');
    const malformed = await curl([url('52:54:00:0a:00')]);
    assert.equal(status(malformed.headers), 200, 'iPXE always gets a script it can run');
    assert.equal(malformed.body.toString(), '#!ipxe\necho Rackcast: the boot MAC address is malformed\nexit 1\n');
  });

  test('unknown machines follow boot.unknownMachines: local exits, ignore refuses', async () => {
    for (const [policy, expected] of [['local', '#!ipxe\nexit 1\n'], ['ignore', '#!ipxe\necho Rackcast: this machine is not managed by this server\nexit 1\n']] as const) {
      const s = await startServer({ ...config, store: { ...config.store, dir: join(dir.path, `store-${policy}`) }, boot: { ...config.boot, unknownMachines: policy } }, silentLogger());
      try {
        assert.equal((await curl([`${s.url}/boot/ipxe?mac=52:54:00:0b:00:01`])).body.toString(), expected, policy);
      } finally {
        await s.stop();
      }
    }
  });

  test('boot files download whole and by byte range, byte-exact, with HEAD and keep-alive', async () => {
    for (const [name, bytes] of Object.entries(files)) {
      const whole = await curl([`${server.url}/boot/files/${name}`]);
      assert.equal(status(whole.headers), 200);
      assert.ok(whole.body.equals(bytes), `${name} whole`);
      assert.match(whole.headers, /accept-ranges: bytes/i);
      assert.match(whole.headers, /keep-alive: timeout=120/i, 'the long keep-alive of config http.keepAliveTimeoutSeconds');
    }
    const kernel = files['vmlinuz'] as Buffer;
    const n = kernel.length;
    const ranges: [string, number, number][] = [['0-0', 0, 1], ['100-1099', 100, 1100], [`1048570-${n - 1}`, 1048570, n], [`${n - 10}-`, n - 10, n], ['-500', n - 500, n], [`0-${n + 5000}`, 0, n]];
    for (const [range, start, end] of ranges) {
      const part = await curl(['-r', range, `${server.url}/boot/files/vmlinuz`]);
      assert.equal(status(part.headers), 206, range);
      assert.ok(part.body.equals(kernel.subarray(start, end)), `range ${range}`);
      assert.match(part.headers, new RegExp(`content-range: bytes ${start}-${end - 1}/${n}`, 'i'));
    }
    const beyond = await curl(['-r', `${n}-${n + 10}`, `${server.url}/boot/files/vmlinuz`]);
    assert.equal(status(beyond.headers), 416);
    const head = await curl(['-I', `${server.url}/boot/files/initrd.img`]);
    assert.equal(status(head.headers), 200);
    assert.match(head.headers, new RegExp(`content-length: ${(files['initrd.img'] as Buffer).length}`, 'i'));
  });

  test('the iPXE binaries come from boot.ipxeDir (the Debian package), through its symlinks', async () => {
    const efi = await curl([`${server.url}/boot/files/ipxe.efi`]);
    assert.equal(status(efi.headers), 200);
    assert.ok(efi.body.equals(await readFile(join(config.boot.ipxeDir, 'ipxe.efi'))));
    assert.equal(efi.body.subarray(0, 2).toString(), 'MZ', 'a PE/COFF image');
  });

  test('only the listed names are served: traversal, encoded slashes and other files are 404', async () => {
    const attempts = ['../../../../etc/passwd', '..%2f..%2f..%2fetc%2fpasswd', '%2e%2e', 'notes.txt', '.', 'vmlinuz%00', 'VMLINUZ', 'vmlinuz.bak'];
    for (const attempt of attempts) {
      const res = await curl(['--path-as-is', `${server.url}/boot/files/${attempt}`]);
      assert.equal(status(res.headers), 404, attempt);
      assert.doesNotMatch(res.body.toString(), /root:|not for machines/);
    }
  });

  test('a preboot file that is not built yet is a 503 saying how to build it', async () => {
    const s = await startServer({ ...config, store: { ...config.store, dir: join(dir.path, 'store-empty') }, boot: { ...config.boot, prebootDir: join(dir.path, 'nothing-here') } }, silentLogger());
    try {
      const res = await curl([`${s.url}/boot/files/vmlinuz`]);
      assert.equal(status(res.headers), 503);
      const body = JSON.parse(res.body.toString()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'RC_ERR_BOOT_FILE_MISSING');
      assert.match(body.error.message, /scripts\/build-preboot/);
    } finally {
      await s.stop();
    }
  });
});
