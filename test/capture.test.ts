// Capture of used blocks and incremental synthetic full versions, on this host with real files:
// a real server (in this process) behind a byte-counting TCP proxy, the golden image as the
// machine's disk, changed between captures with debugfs -w (no loop devices, no mounts). The
// agent runs in this process (runCapture, the seam the job runner will call) and, for the
// interrupted upload, as the `rackcast-agent capture` CLI that is killed mid-upload.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { detectProfile, runCapture, type CaptureOptions, type CaptureResult } from '@rackcast/agent';
import { exportImage, hashBlock, loadConfig, silentLogger, startServer, type RunningServer } from '@rackcast/server';
import { BlockEncoding, encodeBlockFrame, encodeManifest, HashAlgorithm, type MachineProfile, type Manifest } from '@rackcast/wire';
import { CountingProxy } from './helpers/counting-proxy.js';
import { apiAuth, type RoleHeaders } from './helpers/api-auth.js';
import { parseJson, runCli } from './helpers/rackcast-cli.js';
import { tempDir } from './helpers/temp-dir.js';
import { readRange } from './helpers/file-range.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AGENT = join(ROOT, 'preboot-image', 'agent', 'bin', 'rackcast-agent.js');
const ENV = { ...process.env, PATH: `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` };
const MIB = 2 ** 20;
const BLOCK = 256 * 1024;
const MAC = '52:54:00:ca:97:01';
/** The golden image's layout (scripts/golden-image): ESP at 1 MiB, root ext4 at sector 133120. */
const ROOT_OFFSET = 133_120 * 512;
const ROOT_SIZE = 913_408 * 512;
const ESP_OFFSET = MIB;
const ESP_SIZE = 64 * MIB;

interface CaptureView {
  id: number;
  state: string;
  offer: { kind: string; missing: number; offered: number; baseVersion: number | null } | null;
  uploads: { blocks: number; bytes: number; duplicates: number; refused: number };
  wire: { offers: number; offerBytes: number; fingerprintBytes: number };
}

let work: Awaited<ReturnType<typeof tempDir>>;
let server: RunningServer;
let as: RoleHeaders;
let proxy: CountingProxy;
let profile: MachineProfile;
let sysRoot: string;
let golden: string;

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const sha256File = async (path: string): Promise<string> => sha256(await readFile(path));
const cliEnv = (): Record<string, string> => ({ RACKCAST_STORE_DIR: server.config.store.dir, PATH: ENV.PATH });

/** A copy of a partition as a file of its own: what partclone opens (a device has /dev/sdaN). */
async function extractPartitions(disk: string): Promise<(n: number) => string | null> {
  const parts = new Map([[1, [ESP_OFFSET, ESP_SIZE]], [2, [ROOT_OFFSET, ROOT_SIZE]]] as const);
  for (const [n, [offset, size]] of parts) {
    await run('dd', [`if=${disk}`, `of=${disk}.p${n}`, 'bs=1M', `skip=${offset}`, `count=${size}`, 'iflag=skip_bytes,count_bytes', 'conv=sparse', 'status=none'], { env: ENV });
  }
  return (n) => (parts.has(n as 1 | 2) ? `${disk}.p${n}` : null);
}

/** debugfs -w commands on the root file system of a disk image file. */
async function editRoot(disk: string, commands: readonly string[]): Promise<void> {
  const file = `${disk}.debugfs`;
  await writeFile(file, `${commands.join('\n')}\n`);
  const { stderr } = await run('debugfs', ['-w', '-f', file, `${disk}?offset=${ROOT_OFFSET}`], { env: ENV });
  assert.doesNotMatch(stderr.replace(/^debugfs [\d.]+ .*$/m, ''), /\S/, `debugfs reported: ${stderr}`);
}

async function startCapture(image: string): Promise<{ capture: CaptureView; token: string }> {
  return parseJson(await runCli(['capture', 'start', '--image', image, '--machine', MAC, '--json'], cliEnv()));
}

async function captureView(id: number): Promise<CaptureView> {
  return ((await (await fetch(`${server.url}/api/captures/${id}`, { headers: as.viewer })).json()) as { capture: CaptureView }).capture;
}

async function capture(source: string, token: string, extra: Partial<CaptureOptions> = {}): Promise<CaptureResult> {
  return runCapture({ server: proxy.url, token, source, profile, sysRoot, ...extra });
}

async function exportVersion(image: string, version: number): Promise<string> {
  const out = join(work.path, `${image}-v${version}.img`);
  await exportImage(server.store, { name: image, version, out, force: true });
  return out;
}

async function manifestOf(image: string, version: number): Promise<Manifest> {
  return server.store.readManifest(await server.store.resolveVersion(image, version));
}

/** Every block a version holds has the source's bytes at its offset. */
async function assertBlocksEqual(exported: string, source: string, manifest: Manifest): Promise<void> {
  for (const b of manifest.blocks) {
    assert.equal(sha256(await readRange(exported, b.offset, b.length)), sha256(await readRange(source, b.offset, b.length)), `block at ${b.offset}`);
  }
}

/** Used byte ranges of the root file system, from partclone's own map (independent of the capture). */
async function rootUsedRanges(partitionFile: string): Promise<{ offset: number; length: number }[]> {
  const { stdout } = await run('partclone.extfs', ['-D', '-s', partitionFile, '-o', '-', '-L', join(work.path, 'partclone-test.log'), `--offset_domain=${ROOT_OFFSET}`], { env: ENV });
  return stdout.split('\n').filter((l) => /^0x[0-9A-F]+\s+0x[0-9A-F]+\s+\+$/i.test(l.trim()))
    .map((l) => l.trim().split(/\s+/)).map(([pos, size]) => ({ offset: Number.parseInt(pos ?? '', 16), length: Number.parseInt(size ?? '', 16) }));
}

async function rangesHash(path: string, ranges: readonly { offset: number; length: number }[]): Promise<string> {
  const hash = createHash('sha256');
  for (const r of ranges) hash.update(await readRange(path, r.offset, r.length));
  return hash.digest('hex');
}

/** Used bytes of the root ext4 by its own superblock counters (dumpe2fs -h). */
async function extUsedBytes(disk: string): Promise<number> {
  const { stdout } = await run('dumpe2fs', ['-h', `${disk}?offset=${ROOT_OFFSET}`], { env: ENV });
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(stdout)?.[1]);
  return (field('Block count') - field('Free blocks')) * field('Block size');
}

before(async () => {
  work = await tempDir('capture');
  golden = join(work.path, 'g.img');
  await run(join(ROOT, 'scripts', 'build-golden-image'), [golden], { cwd: ROOT, env: ENV, timeout: 600_000 });
  server = await startServer(loadConfig(undefined, { RACKCAST_STORE_DIR: join(work.path, 'store'), RACKCAST_HTTP_PORT: '0' }), silentLogger());
  as = await apiAuth(server);
  proxy = await CountingProxy.start(Number(new URL(server.url).port));
  // A machine booted by BIOS firmware (firmware/ without efi/): no efibootmgr runs on this host.
  sysRoot = join(work.path, 'sys');
  await mkdir(join(sysRoot, 'firmware'), { recursive: true });
  profile = await detectProfile({ sysfsRoot: sysRoot, info: null });
});

after(async () => {
  await proxy?.stop();
  await server?.stop();
  await work?.remove();
});

describe('capture: used blocks and incremental synthetic full versions', () => {
  let v1: CaptureResult;
  let v1Wire = 0;

  test('first capture: only used blocks travel, the version exports bit-exact and records the machine', async (t) => {
    const { capture: started, token } = await startCapture('golden');
    const partitions = await extractPartitions(golden);
    proxy.reset();
    v1 = await capture(golden, token, { partitionPath: partitions, image: 'golden' });
    v1Wire = proxy.bytes.up + proxy.bytes.down;
    t.diagnostic(`v1: ${v1.blocks} blocks, ${v1.capturedBytes} bytes of ${v1.diskSize}; uploaded ${v1.uploaded.blocks} blocks (${v1.uploaded.frameBytes} frame bytes); wire up ${proxy.bytes.up} down ${proxy.bytes.down}; ${JSON.stringify(v1.seconds)}`);
    assert.equal(v1.offer, 'full');
    assert.equal(v1.version, 1);
    assert.deepStrictEqual(v1.filesystems.map((f) => [f.partition, f.type, f.method]), [[1, 'vfat', 'partclone'], [2, 'ext4', 'partclone']]);
    // The used map is the file system's: partclone's used bytes are the superblock's count.
    assert.equal(v1.filesystems[1]?.usedBytes, await extUsedBytes(golden));
    const used = v1.filesystems.reduce((n, f) => n + f.usedBytes, 0);
    assert.ok(v1.capturedBytes >= used, 'every used byte lies in a captured block');
    assert.ok(v1.capturedBytes < v1.diskSize / 8, `captured ${v1.capturedBytes} of ${v1.diskSize}: free space is not read into the version`);
    assert.ok(proxy.bytes.up < v1.capturedBytes, 'LZ4 frames and a manifest: less on the wire than the used bytes');

    const exported = await exportVersion('golden', 1);
    assert.equal(await sha256File(exported), await sha256File(golden), 'unused space of the golden image is zero: the export is bit-exact');
    const rootUsed = await rootUsedRanges(partitions(2) ?? '');
    assert.equal(await rangesHash(exported, rootUsed), await rangesHash(golden, rootUsed), 'used ranges of the root file system are equal');

    const record = await server.store.resolveVersion('golden', 1);
    assert.deepStrictEqual(record.source, { kind: 'capture', capture: started.id, offer: 'full', machine: MAC });
    const config = record.config as { hostname: string; firmwareMode: string; partitionTable: { label: string; partitions: unknown[] }; filesystems: { uuid: string; label: string }[]; capturedAt: string };
    assert.equal(config.hostname, 'golden');
    assert.equal(config.firmwareMode, 'bios');
    assert.equal(config.partitionTable.label, 'gpt');
    assert.equal(config.partitionTable.partitions.length, 2);
    assert.deepStrictEqual(config.filesystems.map((f) => [f.uuid, f.label]), [['1234-ABCD', 'ESP'], ['4d2c1b0a-8f7e-4d6c-9b5a-3e2f1a0b9c87', 'root']]);
    assert.equal(record.createdAt, config.capturedAt, 'the version is the point in time the capture began');
    assert.equal((record.profile as { schema: number }).schema, 1);

    const versions = await runCli(['image', 'versions', 'golden'], cliEnv());
    assert.match(versions.stdout, /HOST/);
    assert.match(versions.stdout.split('\n')[1] ?? '', /\bgolden\b.*capture 1 full/);
  });

  test('second capture after changing files: a delta, only changed blocks travel, v2 composed and v1 untouched', async (t) => {
    const g2 = join(work.path, 'g2.img');
    await run('cp', ['--sparse=always', golden, g2]);
    const busybox = await fileExtentBytes(g2, '/bin/busybox');
    const payload = join(work.path, 'payload.bin');
    await writeFile(payload, randomBytes(3 * MIB));
    await writeFile(join(work.path, 'hostname'), 'golden-v2\n');
    // New data first, then the deletion: the allocator cannot reuse the deleted file's blocks.
    await editRoot(g2, [`write ${payload} /root/payload.bin`, 'rm /etc/hostname', `write ${join(work.path, 'hostname')} /etc/hostname`, 'rm /bin/busybox']);
    const { token } = await startCapture('golden');
    const partitions = await extractPartitions(g2);
    proxy.reset();
    const v2 = await capture(g2, token, { partitionPath: partitions });
    const up = proxy.bytes.up;
    t.diagnostic(`v2: offer ${v2.offer}, ${v2.blocks} blocks; uploaded ${v2.uploaded.blocks} blocks (${v2.uploaded.frameBytes} frame bytes, ${v2.uploaded.rawBytes} raw); wire up ${up} down ${proxy.bytes.down} (v1: ${v1Wire}); ${JSON.stringify(v2.seconds)}`);
    assert.equal(v2.offer, 'delta');
    assert.equal(v2.baseVersion, 1);

    const [m1, m2] = [await manifestOf('golden', 1), await manifestOf('golden', 2)];
    const inV1 = new Set(m1.blocks.map((b) => `${b.offset}:${Buffer.from(b.hash).toString('hex')}`));
    const changed = m2.blocks.filter((b) => !inV1.has(`${b.offset}:${Buffer.from(b.hash).toString('hex')}`));
    const view = await captureView(v2.capture);
    const record = await server.store.resolveVersion('golden', 2);
    t.diagnostic(`v2: ${changed.length} blocks changed against v1 (${record.newBlocks} new to the store); delta ${view.wire.offerBytes} bytes, fingerprints ${view.wire.fingerprintBytes} bytes, full manifest would be ${encodeManifest(m2).byteLength}`);
    // The one assertion the issue asks for: bytes uploaded ≤ changed blocks + the delta.
    assert.ok(up <= changed.length * BLOCK + view.wire.offerBytes, `uploaded ${up} bytes for ${changed.length} changed blocks and a ${view.wire.offerBytes}-byte delta`);
    // Both carry the partition-table bytes (34 KiB of GPT here); past those the delta is a fraction of the list.
    const table = m2.partitionTable.head.byteLength + m2.partitionTable.tail.byteLength;
    assert.ok(view.wire.offerBytes - table < (encodeManifest(m2).byteLength - table) / 2, `delta ${view.wire.offerBytes} bytes, full manifest ${encodeManifest(m2).byteLength}`);
    // Exactly the blocks the store lacked went up, nothing else.
    assert.equal(v2.uploaded.blocks, record.newBlocks);
    assert.equal(v2.uploaded.rawBytes, record.newBytes);
    assert.ok(record.newBlocks <= changed.length);

    const exported = await exportVersion('golden', 2);
    await assertBlocksEqual(exported, g2, m2);
    const rootUsed = await rootUsedRanges(partitions(2) ?? '');
    assert.equal(await rangesHash(exported, rootUsed), await rangesHash(g2, rootUsed), 'used ranges of the changed root are equal');
    await run('e2fsck', ['-fn', `${exported}?offset=${ROOT_OFFSET}`], { env: ENV });
    assert.equal(await rootFile(exported, '/etc/hostname'), 'golden-v2\n');
    assert.equal(sha256(Buffer.from(await rootFile(exported, '/root/payload.bin'), 'latin1')), sha256(await readFile(payload)));
    await assert.rejects(rootFile(exported, '/bin/busybox'), /File not found/, 'the deleted file is gone in v2');
    // Store blocks wholly inside the deleted file are used by v1 and no longer referenced by v2.
    const freed = m1.blocks.filter((b) => b.offset >= busybox.offset && b.offset + b.length <= busybox.offset + busybox.length);
    assert.ok(freed.length >= 4, `busybox covers ${freed.length} whole blocks`);
    for (const b of freed) assert.equal(m2.blocks.some((c) => c.offset === b.offset), false, `v2 still references the block at ${b.offset}`);
    assert.equal((record.config as { hostname: string }).hostname, 'golden-v2');

    assert.equal(await sha256File(await exportVersion('golden', 1)), await sha256File(golden), 'version 1 still exports unchanged');
    const verify = await runCli(['store', 'verify', '--json'], cliEnv());
    assert.equal(verify.code, 0, verify.stdout);
  });

  test('an interrupted upload resumes: the second run sends only what the store still lacks', async (t) => {
    const g3 = join(work.path, 'g3.img');
    await run('cp', ['--sparse=always', golden, g3]);
    const payload = join(work.path, 'payload3.bin');
    await writeFile(payload, randomBytes(12 * MIB));
    await editRoot(g3, [`write ${payload} /root/big.bin`]);
    const { capture: started, token } = await startCapture('golden');
    proxy.rate = 1.5 * MIB;
    const child = spawn(process.execPath, [AGENT, 'capture', '--server', proxy.url, '--token', token, '--source', g3, '--no-profile', '--sysfs-root', sysRoot, '--concurrency', '1'], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let view = await captureView(started.id);
      for (let i = 0; i < 600 && view.uploads.blocks < 6; i++) {
        await sleep(100);
        view = await captureView(started.id);
      }
      assert.ok(view.uploads.blocks >= 6, `the agent stored ${view.uploads.blocks} blocks within a minute`);
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(await exited, null, 'killed, not finished');
    proxy.rate = 0;
    await sleep(500);
    const interrupted = await captureView(started.id);
    const firstMissing = interrupted.offer?.missing ?? 0;
    assert.ok(interrupted.uploads.blocks < firstMissing, `${interrupted.uploads.blocks} of ${firstMissing} blocks arrived before the kill`);

    const resumed = await capture(g3, token, { profile: null });
    const after = await captureView(started.id);
    t.diagnostic(`first run stored ${interrupted.uploads.blocks} of ${firstMissing} missing blocks; the second run was asked for ${after.offer?.missing}, sent ${resumed.uploaded.blocks}`);
    assert.equal(after.offer?.missing, firstMissing - interrupted.uploads.blocks, 'the re-offer asks only for blocks the store still lacks');
    assert.equal(resumed.uploaded.blocks, firstMissing - interrupted.uploads.blocks);
    assert.equal(after.uploads.duplicates, 0);
    assert.equal(after.state, 'committed');
    const exported = await exportVersion('golden', resumed.version);
    await assertBlocksEqual(exported, g3, await manifestOf('golden', resumed.version));
    assert.equal(sha256(Buffer.from(await rootFile(exported, '/root/big.bin'), 'latin1')), sha256(await readFile(payload)));
  });

  test('a forged block is refused with a clear error and nothing is committed', async () => {
    const { capture: started, token } = await startCapture('forged');
    const agent = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${server.url}/api/captures/agent${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
    const real = randomBytes(BLOCK);
    const hash = hashBlock(real);
    const manifest: Manifest = { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: BLOCK, diskSize: 4 * MIB, partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(0) }, blocks: [{ index: 0, offset: 0, length: BLOCK, hash }] };
    const offer = await agent('/offer', { method: 'POST', body: encodeManifest(manifest), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(offer.status, 200);
    assert.equal(((await offer.json()) as { offer: { missing: number } }).offer.missing, 1);
    const frame = (data: Buffer): Uint8Array => encodeBlockFrame({ encoding: BlockEncoding.Raw, rawLength: data.byteLength, payload: data });
    const hex = Buffer.from(hash).toString('hex');

    const forged = await agent(`/blocks/${hex}`, { method: 'PUT', body: frame(randomBytes(BLOCK)), headers: { 'content-type': 'application/octet-stream' } });
    const refusal = (await forged.json()) as { error: { code: string; message: string } };
    assert.equal(forged.status, 422);
    assert.equal(refusal.error.code, 'RC_ERR_CAPTURE_BLOCK_MISMATCH');
    assert.match(refusal.error.message, /does not decompress to content with that hash; it was not stored/);
    const unexpected = await agent(`/blocks/${'ab'.repeat(32)}`, { method: 'PUT', body: frame(real), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(((await unexpected.json()) as { error: { code: string } }).error.code, 'RC_ERR_CAPTURE_BLOCK_UNEXPECTED');

    const commit = await agent('/commit', { method: 'POST', body: JSON.stringify({ config: null }), headers: { 'content-type': 'application/json' } });
    assert.equal(commit.status, 409);
    assert.equal(((await commit.json()) as { error: { code: string } }).error.code, 'RC_ERR_CAPTURE_INCOMPLETE');
    await assert.rejects(server.store.listVersions('forged'), /no image named forged/);
    const view = await captureView(started.id);
    assert.equal(view.uploads.refused, 1);
    assert.equal(view.uploads.blocks, 0);
    const stranger = await fetch(`${server.url}/api/captures/agent`, { headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(stranger.status, 401);
  });

  test('unknown file system and a non-zero gap: zero detection keeps exactly the non-zero blocks', async () => {
    const disk = join(work.path, 'unknown.img');
    await writeFile(disk, '');
    await run('truncate', ['-s', `${64 * MIB}`, disk]);
    await runSfdisk(disk, 'label: gpt\nstart=2048, size=40960\nstart=61440, size=40960\n');
    // Partition 1 (1 MiB … 21 MiB) holds no known signature: 300 KiB of data at +5 MiB, one byte at +18 MiB.
    // The gap 21 … 30 MiB holds a few bytes at 25 MiB; partition 2 is all zeros.
    const writes: [number, Buffer][] = [[MIB + 5 * MIB, randomBytes(300 * 1024)], [MIB + 18 * MIB + 7, Buffer.from([0x42])], [25 * MIB + 100, Buffer.from('boot code in a gap')]];
    const handle = await open(disk, 'r+');
    for (const [at, data] of writes) await handle.write(data, 0, data.byteLength, at);
    await handle.close();
    const { token } = await startCapture('unknown');
    const result = await capture(disk, token, { profile: null });
    assert.deepStrictEqual(result.filesystems.map((f) => [f.partition, f.type, f.method]), [[1, '', 'zero-scan'], [2, '', 'zero-scan']]);
    const m = await manifestOf('unknown', 1);
    const gptBackup = Math.floor((64 * MIB - 33 * 512) / BLOCK) * BLOCK;
    // First MiB (4 blocks, kept as the partition-table area), 6 MiB and 6 MiB + 256 KiB (300 KiB of data),
    // 19 MiB (one byte), 25 MiB (the gap), and the block holding the backup GPT.
    assert.deepStrictEqual(m.blocks.map((b) => b.offset / BLOCK), [0, 1, 2, 3, 24, 25, 76, 100, gptBackup / BLOCK]);
    assert.equal(await sha256File(await exportVersion('unknown', 1)), await sha256File(disk), 'every non-zero byte was kept');
    assert.equal(result.filesystems[0]?.usedBytes, 3 * BLOCK);
  });
});

/** Byte range of a file's single extent on the disk (debugfs `blocks`); the file must be contiguous. */
async function fileExtentBytes(disk: string, path: string): Promise<{ offset: number; length: number }> {
  const { stdout } = await run('debugfs', ['-R', `blocks ${path}`, `${disk}?offset=${ROOT_OFFSET}`], { env: ENV });
  const blocks = stdout.trim().split(/\s+/).map(Number);
  const first = blocks[0] ?? 0;
  assert.ok(blocks.every((b, i) => b === first + i), `${path} is contiguous`);
  return { offset: ROOT_OFFSET + first * 4096, length: blocks.length * 4096 };
}

/** A file of the root file system of a disk image, read with debugfs (latin1: byte for byte). */
async function rootFile(disk: string, path: string): Promise<string> {
  const { stdout, stderr } = await run('debugfs', ['-R', `cat ${path}`, `${disk}?offset=${ROOT_OFFSET}`], { env: ENV, encoding: 'latin1', maxBuffer: 64 * MIB });
  if (/File not found/.test(stderr)) throw new Error(`${path}: File not found`);
  return stdout;
}

function runSfdisk(disk: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sfdisk', ['--quiet', disk], { env: ENV, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`sfdisk: ${stderr}`))));
    child.stdin.end(script);
  });
}
