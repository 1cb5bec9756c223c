// GET /metrics on a real server (loopback only): a real store with an imported image, a stream
// session announcing over multicast on lo, real TFTP reads and DHCP datagrams to the server's
// own sockets. Each metric is asserted to have moved by what the test did.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DhcpMessageType } from '@rackcast/wire';
import { loadConfig, silentLogger, startServer, type RunningServer } from '@rackcast/server';
import { apiAuth, type RoleHeaders } from './helpers/api-auth.js';
import { clientRequest, pxeClientOptions } from './helpers/dhcp-lab.js';
import { writeSyntheticDisk } from './helpers/synthetic-disk.js';
import { fetchWithCodec } from './helpers/tftp-peer.js';
import { tempDir } from './helpers/temp-dir.js';

const MiB = 1024 * 1024;

/** One sample: `name{a="b"} 1` → { name, labels: {a: 'b'}, value: 1 }. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A small parser of the Prometheus text format 0.0.4: HELP and TYPE per family, one sample a line. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string>; helps: Set<string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') types.set(meta[2] ?? '', meta[3] ?? '');
      else helps.add(meta[2] ?? '');
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k ?? ''] = v ?? '';
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return { samples, types, helps };
}

/** Free UDP ports on loopback (bound and released; the server binds them right after). */
async function freeUdpPorts(count: number): Promise<number[]> {
  const sockets = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createSocket>>((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

describe('Prometheus metrics', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: RunningServer;
  let auth: RoleHeaders;
  let ports: { tftp: number; dhcp: number; proxy: number };

  async function scrape(): Promise<ReturnType<typeof parseExposition> & { value: (name: string, labels?: Record<string, string>) => number }> {
    const res = await fetch(`${server.url}/metrics`, { headers: auth.viewer });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const parsed = parseExposition(await res.text());
    const value = (name: string, labels: Record<string, string> = {}) => parsed.samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((acc, s) => acc + s.value, 0);
    return { ...parsed, value };
  }

  /** Scrapes until `check` holds (counts land after the reply is sent), at most 5 s. */
  async function eventually(check: (m: Awaited<ReturnType<typeof scrape>>) => boolean, what: string): Promise<Awaited<ReturnType<typeof scrape>>> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const m = await scrape();
      if (check(m)) return m;
      if (Date.now() > deadline) assert.fail(`${what}: not seen in /metrics within 5 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  before(async () => {
    dir = await tempDir('metrics');
    const [tftp = 0, dhcp = 0, proxy = 0] = await freeUdpPorts(3);
    ports = { tftp, dhcp, proxy };
    const ipxeDir = join(dir.path, 'ipxe');
    await mkdir(ipxeDir);
    await writeFile(join(ipxeDir, 'undionly.kpxe'), Buffer.alloc(3000, 7));
    const configFile = join(dir.path, 'rackcast.yaml');
    await writeFile(configFile, [
      'http: { host: 127.0.0.1, port: 0 }',
      'multicast: { interface: 127.0.0.1 }',
      `boot: { interface: lo, address: 127.0.0.1, ipxeDir: ${JSON.stringify(ipxeDir)} }`,
      `tftp: { enabled: true, port: ${tftp}, linkTargets: [] }`,
      `dhcp: { mode: proxy, port: ${dhcp}, proxyPort: ${proxy} }`,
    ].join('\n'));
    server = await startServer(loadConfig(configFile, { RACKCAST_STORE_DIR: join(dir.path, 'store') }), silentLogger());
    auth = await apiAuth(server);
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  test('refuses a scrape without a credential', async () => {
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });

  test('an empty server reports zeros, with HELP and TYPE for every family', async () => {
    const m = await scrape();
    const families: readonly (readonly [string, string])[] = [['rackcast_sessions', 'gauge'], ['rackcast_receivers', 'gauge'], ['rackcast_multicast_sent_bytes_total', 'counter'],
      ['rackcast_multicast_repair_datagrams_total', 'counter'], ['rackcast_dhcp_requests_total', 'counter'], ['rackcast_tftp_requests_total', 'counter'],
      ['rackcast_store_blocks_bytes', 'gauge'], ['rackcast_machines', 'gauge'], ['rackcast_deploys', 'gauge'], ['process_cpu_seconds_total', 'counter']];
    for (const [name, type] of families) {
      assert.equal(m.types.get(name), type, `${name} is a ${type}`);
      assert.ok(m.helps.has(name), `${name} has HELP`);
    }
    assert.equal(m.value('rackcast_store_blocks_bytes'), 0);
    assert.equal(m.value('rackcast_sessions', { phase: 'waiting' }), 0);
    assert.ok(m.samples.some((s) => s.name === 'rackcast_sessions' && s.labels['phase'] === 'transfer'), 'every phase has a series before its first session');
    assert.equal(m.value('rackcast_build_info'), 1);
  });

  test('an import moves the store gauges', async () => {
    const disk = join(dir.path, 'disk.img');
    await writeSyntheticDisk(disk, 8 * MiB, [[MiB, 2 * MiB, 1]]);
    const res = await fetch(`${server.url}/api/images/golden/versions`, { method: 'POST', headers: { ...auth.operator, 'content-type': 'application/json' }, body: JSON.stringify({ file: disk }) });
    assert.equal(res.status, 201);
    const version = ((await res.json()) as { version: { newBlocks: number; newStoredBytes: number } }).version;
    const m = await scrape();
    assert.equal(m.value('rackcast_store_images'), 1);
    assert.equal(m.value('rackcast_store_versions'), 1);
    assert.equal(m.value('rackcast_store_blocks'), version.newBlocks);
    assert.ok(version.newBlocks > 0);
    // The files on disk: the compressed blocks the import reported, give or take the frame headers.
    const bytes = m.value('rackcast_store_blocks_bytes');
    assert.ok(bytes >= version.newStoredBytes && bytes < version.newStoredBytes + 1024 * version.newBlocks, `store bytes ${bytes} vs ${version.newStoredBytes} stored`);
  });

  test('a waiting session is counted, and its announcements count as multicast bytes sent', async () => {
    const res = await fetch(`${server.url}/api/sessions`, { method: 'POST', headers: { ...auth.operator, 'content-type': 'application/json' }, body: JSON.stringify({ image: 'golden', expect: 1 }) });
    assert.equal(res.status, 201);
    const m = await eventually((x) => x.value('rackcast_multicast_sent_bytes_total') > 0, 'announcement bytes');
    assert.equal(m.value('rackcast_sessions', { phase: 'waiting' }), 1);
    assert.equal(m.value('rackcast_multicast_data_datagrams_total'), 0, 'no data before a receiver joins');
    assert.equal(m.value('rackcast_multicast_repair_datagrams_total'), 0);
  });

  test('TFTP reads are counted by outcome', async () => {
    const fetched = await fetchWithCodec(ports.tftp, 'undionly.kpxe');
    assert.equal(fetched.data.byteLength, 3000);
    await assert.rejects(fetchWithCodec(ports.tftp, 'no-such-file.efi'), /ERROR 1/);
    await eventually((m) => m.value('rackcast_tftp_requests_total', { outcome: 'complete' }) === 1
      && m.value('rackcast_tftp_requests_total', { outcome: 'not_found' }) === 1, 'one complete and one not-found TFTP request');
  });

  test('DHCP datagrams are counted by message type and outcome', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const send = (bytes: Uint8Array) => new Promise<void>((resolve, reject) => socket.send(bytes, ports.dhcp, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    try {
      await send(Buffer.from(clientRequest(DhcpMessageType.Discover, '52:54:00:12:34:56', pxeClientOptions(0)), 'base64'));
      await send(Buffer.from(clientRequest(DhcpMessageType.Discover, '52:54:00:12:34:57', pxeClientOptions(7)), 'base64'));
      await send(Uint8Array.of(1, 2, 3));
    } finally {
      socket.close();
    }
    const m = await eventually((x) => x.value('rackcast_dhcp_requests_total') === 3, 'three DHCP datagrams');
    assert.equal(m.value('rackcast_dhcp_requests_total', { type: 'discover' }), 2);
    assert.equal(m.value('rackcast_dhcp_requests_total', { type: 'none', outcome: 'malformed' }), 1);
  });
});
