// The block-size decision, measured on a realistic disk and a realistic update of it.
//
// 1. Builds v1: a 512 MiB GPT disk (scripts/make-test-disk.sh) whose ext4 partition holds a
//    deterministic sample of real files from /usr (libraries, executables, documentation,
//    about 250 MB) and whose FAT32 EFI System partition holds a few MB.
// 2. Makes v2 from a copy of v1 the way a package update would change it, with debugfs (through
//    make-test-disk.sh modify): about 2 % of the files get new content, about 10 MB of new
//    files appear, about 1 % of the files are deleted.
// 3. For each block size cuts both disks into fixed blocks, drops all-zero blocks, hashes the
//    rest (BLAKE3) and reports what the store and the network would carry: blocks, unique
//    blocks, blocks of v2 not in v1 (new), their bytes raw and LZ4-compressed (block frame: 5
//    header bytes + LZ4 or raw, whichever is smaller), the manifest (96 + 44 bytes per block),
//    index entries, the bytes to store/send for v2, and the time to hash+compress all of v1.
//
//   npx tsc -p scripts/bench && node scripts/bench/dist/block-size.js [--data-mb 250] [--keep]
//
// Runs in well under 5 minutes (a watchdog stops it at 290 s); the temporary directory is
// removed at exit unless --keep is given.
import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { blake3 } from '@napi-rs/blake-hash';
import { compressSync } from 'lz4-napi';

const execFileAsync = promisify(execFile);
const KIB = 1024;
const MIB = 1024 * KIB;
const BLOCK_SIZES = [64 * KIB, 128 * KIB, 256 * KIB, 512 * KIB, MIB, 2 * MIB, 4 * MIB];
const MANIFEST_HEADER = 96;
const MANIFEST_ENTRY = 44; // offset u64 + length u32 + BLAKE3-256
const FRAME_HEADER = 5; // wire/src/block/block-frame.ts: encoding u8 + raw length u32
const DISK_MIB = 512;
const FAT_MIB = 64;
const TIME_LIMIT_MS = 290_000;
/** Used size of the disk the per-version costs are projected to. */
const PROJECT_GIB = 20;
/** Where the file sample comes from, and how much of the sample each should give at most. */
const SOURCES = ['/usr/lib/x86_64-linux-gnu', '/usr/bin', '/usr/share/doc'];
const MAX_FILE = 64 * MIB;

// From scripts/bench/dist/block-size.js.
const MAKE_TEST_DISK = fileURLToPath(new URL('../../make-test-disk.sh', import.meta.url));

const { values: args } = parseArgs({
  options: {
    'data-mb': { type: 'string', default: '250' },
    'new-mb': { type: 'string', default: '10' },
    seed: { type: 'string', default: 'rackcast-block-size-1' },
    keep: { type: 'boolean', default: false },
  },
});
const DATA_BYTES = Number(args['data-mb']) * 1e6;
const NEW_BYTES = Number(args['new-mb']) * 1e6;
if (!(DATA_BYTES > 0 && DATA_BYTES <= 350e6)) throw new Error('--data-mb must be in 1..350 (the ext4 partition is 448 MiB)');

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'rackcast-block-size-'));
let cleaned = false;
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  if (args.keep) console.error(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}
const watchdog = setTimeout(() => {
  console.error(`block-size: stopped after ${TIME_LIMIT_MS / 1000} s (time limit)`);
  process.exit(2);
}, TIME_LIMIT_MS);
watchdog.unref();

const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const log = (msg: string): void => {
  console.error(`[${elapsed()}] ${msg}`);
};
const mb = (bytes: number, digits = 1): string => (bytes / MIB).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** sfc32 seeded from a string: uniform floats in [0, 1). */
function prng(seed: string): () => number {
  const h = createHash('sha256').update(seed).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** A stable number in [0, 1) from a path, to sample files independently of walk order. */
function pathFraction(seed: string, path: string): number {
  return createHash('sha256').update(`${seed}:${path}`).digest().readUInt32LE(0) / 4294967296;
}

async function run(file: string, argv: readonly string[]): Promise<void> {
  try {
    await execFileAsync(file, argv, { maxBuffer: 16 * MIB, timeout: TIME_LIMIT_MS, env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin` } });
  } catch (e: unknown) {
    const stderr = typeof e === 'object' && e !== null && 'stderr' in e ? String(e.stderr) : '';
    throw new Error(`${file} ${argv.slice(0, 3).join(' ')} … failed: ${stderr.trim() || String(e)}`);
  }
}

interface SourceFile {
  /** Absolute path on this machine, e.g. /usr/bin/ls. */
  path: string;
  size: number;
  symlink: string | null;
}

function walk(dir: string, out: SourceFile[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(path, out);
    else if (st.isSymbolicLink()) out.push({ path, size: 0, symlink: readlinkSync(path) });
    else if (st.isFile() && st.size <= MAX_FILE) out.push({ path, size: st.size, symlink: null });
  }
}

interface Selection {
  chosen: SourceFile[];
  rest: SourceFile[];
}

/**
 * Samples about DATA_BYTES of files: every file gets a stable pseudo-random rank from its path
 * and files are taken in rank order until the budget is spent, so the sample is spread over the
 * whole tree (libraries, executables, docs) and is the same on every run on the same machine.
 */
function selectFiles(): Selection {
  const all: SourceFile[] = [];
  for (const root of SOURCES) walk(root, all);
  const ranked = all.map((f) => ({ f, rank: pathFraction(args.seed, f.path) })).sort((a, b) => a.rank - b.rank);
  const chosen: SourceFile[] = [];
  const rest: SourceFile[] = [];
  let bytes = 0;
  for (const { f } of ranked) {
    if (bytes < DATA_BYTES) {
      chosen.push(f);
      bytes += f.size;
    } else {
      rest.push(f);
    }
  }
  chosen.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { chosen, rest };
}

function copyTree(files: readonly SourceFile[], root: string): void {
  for (const f of files) {
    const dest = join(root, f.path);
    mkdirSync(dirname(dest), { recursive: true });
    try {
      if (f.symlink !== null) symlinkSync(f.symlink, dest);
      else copyFileSync(f.path, dest);
    } catch {
      // unreadable file: left out
    }
  }
}

/** A plausible next version of a file: shifted by an insertion, patched every few KiB, resized. */
function newVersionOf(original: Buffer, rand: () => number): Buffer {
  if (original.length === 0) return Buffer.from(`updated ${rand()}\n`);
  const insertAt = Math.floor(rand() * Math.max(1, original.length / 10));
  const insert = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
  const grown = Math.floor(original.length * (0.97 + rand() * 0.06));
  const next = Buffer.concat([original.subarray(0, insertAt), insert, original.subarray(insertAt)]).subarray(0, Math.max(1, grown));
  for (let at = Math.floor(rand() * 4096); at + 8 <= next.length; at += 1024 + Math.floor(rand() * 6144)) {
    next.writeUInt32LE(Math.floor(rand() * 4294967296), at);
  }
  return Buffer.from(next);
}

interface Update {
  ops: string[];
  replaced: number;
  replacedBytes: number;
  added: number;
  addedBytes: number;
  deleted: number;
  deletedBytes: number;
}

/** Chooses and prepares the changes that turn v1 into v2 (the make-test-disk.sh modify ops). */
function planUpdate(sel: Selection, stage: string): Update {
  const rand = prng(`${args.seed}:update`);
  const regular = sel.chosen.filter((f) => f.symlink === null && !f.path.includes('"'));
  const u: Update = { ops: [], replaced: 0, replacedBytes: 0, added: 0, addedBytes: 0, deleted: 0, deletedBytes: 0 };
  const touched = new Set<string>();
  let n = 0;
  for (const f of regular) {
    const r = rand();
    if (r < 0.02) {
      let original: Buffer;
      try {
        original = readFileSync(f.path);
      } catch {
        continue;
      }
      const src = join(stage, `r${n++}`);
      const next = newVersionOf(original, rand);
      writeFileSync(src, next);
      u.ops.push('--write', `${src}:${f.path}`);
      u.replaced++;
      u.replacedBytes += next.length;
      touched.add(f.path);
    } else if (r < 0.03) {
      u.ops.push('--rm', f.path);
      u.deleted++;
      u.deletedBytes += f.size;
      touched.add(f.path);
    }
  }
  // New files: real files that were not sampled into v1, at their natural place in the tree.
  const candidates = sel.rest.filter((f) => f.symlink === null && f.size > 0 && f.size <= 4 * MIB && !f.path.includes('"'));
  while (u.addedBytes < NEW_BYTES && candidates.length > 0) {
    const [f] = candidates.splice(Math.floor(rand() * candidates.length), 1);
    if (!f || touched.has(f.path)) continue;
    const src = join(stage, `a${n++}`);
    try {
      copyFileSync(f.path, src);
    } catch {
      continue;
    }
    u.ops.push('--write', `${src}:${f.path}`);
    u.added++;
    u.addedBytes += f.size;
  }
  return u;
}

interface SizeResult {
  blockSize: number;
  v1Blocks: number;
  v1Unique: number;
  v1StoredLz4: number;
  v2Blocks: number;
  v2Unique: number;
  newBlocks: number;
  newBytes: number;
  newLz4: number;
  newDatagrams: number;
  manifestBytes: number;
  indexEntries: number;
  sendBytes: number;
  /** Zero check + BLAKE3 + LZ4 of every non-zero v1 block, best of TIMING_ROUNDS. */
  v1Seconds: number;
  /** AES-256-GCM seal of every stored v1 frame (one cipher per block), best of TIMING_ROUNDS. */
  sealSeconds: number;
  /** Writing every stored v1 frame as its own file: write tmp, fsync, rename (one pass). */
  storeSeconds: number;
}

const ZERO = Buffer.alloc(Math.max(...BLOCK_SIZES));
const TIMING_ROUNDS = 3;
/** Block payload bytes per multicast datagram (1500 MTU minus IP/UDP and a block-stream header). */
const DATAGRAM_PAYLOAD = 1400;

/** A block as stored and sent: frame header + LZ4 block, or raw if LZ4 does not make it smaller. */
function frameOf(block: Buffer): Buffer {
  const lz4 = compressSync(block);
  const header = Buffer.alloc(FRAME_HEADER);
  const raw = lz4.length >= block.length;
  header.writeUInt8(raw ? 0 : 1, 0);
  header.writeUInt32BE(block.length, 1);
  return Buffer.concat([header, raw ? block : lz4]);
}

const isZero = (block: Buffer): boolean => block.equals(ZERO.subarray(0, block.length));
const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** Seals every frame with AES-256-GCM, a fresh cipher and nonce per block, as a per-block AEAD would. */
function sealAll(frames: readonly Buffer[]): number {
  const key = Buffer.alloc(32, 7);
  const nonce = Buffer.alloc(12);
  let tagBytes = 0;
  for (let i = 0; i < frames.length; i++) {
    nonce.writeUInt32BE(i, 8);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(nonce);
    cipher.update(frames[i] ?? Buffer.alloc(0));
    cipher.final();
    tagBytes += cipher.getAuthTag().length;
  }
  return tagBytes;
}

/** Writes frames the way a one-file-per-block store does: blocks/ab/cd/<hex>, tmp + fsync + rename. */
function writeStore(dir: string, frames: ReadonlyMap<string, Buffer>): number {
  const t0 = process.hrtime.bigint();
  const dirs = new Set<string>();
  let n = 0;
  for (const [hex, frame] of frames) {
    const sub = join(dir, hex.slice(0, 2), hex.slice(2, 4));
    if (!dirs.has(sub)) {
      mkdirSync(sub, { recursive: true });
      dirs.add(sub);
    }
    const tmp = join(dir, `tmp-${n++}`);
    const fd = openSync(tmp, 'w');
    writeSync(fd, frame);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(sub, hex));
  }
  for (const sub of dirs) {
    const fd = openSync(sub, 'r');
    fsyncSync(fd);
    closeSync(fd);
  }
  const t = seconds(t0);
  rmSync(dir, { recursive: true, force: true });
  return t;
}

function analyse(v1: Buffer, v2: Buffer, blockSize: number, storeDir: string): SizeResult {
  // v1, as an importer would process it: skip zero blocks, hash, compress. Every block is
  // compressed (an importer would skip known ones) so the timing compares sizes fairly; there
  // are no duplicates inside one such disk anyway (see v1 unique).
  let frames = new Map<string, Buffer>();
  let v1Blocks = 0;
  let v1Seconds = Infinity;
  for (let round = 0; round < TIMING_ROUNDS; round++) {
    frames = new Map<string, Buffer>();
    v1Blocks = 0;
    const t0 = process.hrtime.bigint();
    for (let at = 0; at < v1.length; at += blockSize) {
      const block = v1.subarray(at, Math.min(v1.length, at + blockSize));
      if (isZero(block)) continue;
      v1Blocks++;
      const key = blake3(block).toString('hex');
      const frame = frameOf(block);
      if (!frames.has(key)) frames.set(key, frame);
    }
    v1Seconds = Math.min(v1Seconds, seconds(t0));
  }
  let v1StoredLz4 = 0;
  for (const f of frames.values()) v1StoredLz4 += f.length;

  const frameList = [...frames.values()];
  let sealSeconds = Infinity;
  for (let round = 0; round < TIMING_ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    sealAll(frameList);
    sealSeconds = Math.min(sealSeconds, seconds(t0));
  }
  const storeSeconds = writeStore(storeDir, frames);

  const v2Hashes = new Set<string>();
  const newHashes = new Set<string>();
  let v2Blocks = 0;
  let newBytes = 0;
  let newLz4 = 0;
  let newDatagrams = 0;
  for (let at = 0; at < v2.length; at += blockSize) {
    const block = v2.subarray(at, Math.min(v2.length, at + blockSize));
    if (isZero(block)) continue;
    v2Blocks++;
    const key = blake3(block).toString('hex');
    v2Hashes.add(key);
    if (frames.has(key) || newHashes.has(key)) continue;
    newHashes.add(key);
    newBytes += block.length;
    const frameLength = frameOf(block).length;
    newLz4 += frameLength;
    newDatagrams += Math.ceil(frameLength / DATAGRAM_PAYLOAD);
  }
  const manifestBytes = MANIFEST_HEADER + MANIFEST_ENTRY * v2Blocks;
  return {
    blockSize,
    v1Blocks,
    v1Unique: frames.size,
    v1StoredLz4,
    v2Blocks,
    v2Unique: v2Hashes.size,
    newBlocks: newHashes.size,
    newBytes,
    newLz4,
    newDatagrams,
    manifestBytes,
    indexEntries: frames.size + newHashes.size,
    sendBytes: newLz4 + manifestBytes,
    v1Seconds,
    sealSeconds,
    storeSeconds,
  };
}

function sizeLabel(bytes: number): string {
  return bytes >= MIB ? `${bytes / MIB} MiB` : `${bytes / KIB} KiB`;
}

async function main(): Promise<void> {
  const root = join(work, 'root');
  const esp = join(work, 'esp');
  const stage = join(work, 'v2-files');
  mkdirSync(stage, { recursive: true });

  log('sampling files from /usr');
  const sel = selectFiles();
  copyTree(sel.chosen, root);
  const v1Files = sel.chosen.filter((f) => f.symlink === null);
  const v1DataBytes = v1Files.reduce((n, f) => n + f.size, 0);

  // ESP: a boot loader, a second loader and its config, a few MB in all (real binaries).
  const loaders = sel.rest.filter((f) => f.symlink === null && f.size > 600 * KIB && f.size < 2 * MIB && f.path.startsWith('/usr/bin/')).slice(0, 2);
  mkdirSync(join(esp, 'EFI', 'BOOT'), { recursive: true });
  mkdirSync(join(esp, 'EFI', 'debian'), { recursive: true });
  const [loaderA, loaderB] = loaders;
  if (loaderA) copyFileSync(loaderA.path, join(esp, 'EFI', 'BOOT', 'BOOTX64.EFI'));
  if (loaderB) copyFileSync(loaderB.path, join(esp, 'EFI', 'debian', 'grubx64.efi'));
  writeFileSync(join(esp, 'EFI', 'debian', 'grub.cfg'), 'search.fs_uuid 3c1b9f5e-7a2d-4e8b-8c6f-1a0d2e3b4c5d root\nset prefix=($root)/boot/grub\nconfigfile $prefix/grub.cfg\n');

  const v1 = join(work, 'v1.img');
  const v2 = join(work, 'v2.img');
  log(`building v1: ${DISK_MIB} MiB disk, ${v1Files.length} files (${mb(v1DataBytes)} MiB) + ${sel.chosen.length - v1Files.length} symlinks in ext4`);
  await run(MAKE_TEST_DISK, ['build', v1, '--size', `${DISK_MIB}M`, '--fat-from', esp, '--fat-size', `${FAT_MIB}M`, '--ext4-from', root]);
  rmSync(root, { recursive: true, force: true });

  log('planning the update');
  const update = planUpdate(sel, stage);
  log(`making v2: ${update.replaced} files replaced, ${update.added} added, ${update.deleted} deleted`);
  await run('cp', ['--sparse=always', v1, v2]);
  await run(MAKE_TEST_DISK, ['modify', v2, '--partition', '2', ...update.ops, '--check']);
  rmSync(stage, { recursive: true, force: true });

  log('reading both images');
  const img1 = readFileSync(v1);
  const img2 = readFileSync(v2);
  const results: SizeResult[] = [];
  for (const bs of BLOCK_SIZES) {
    log(`block size ${sizeLabel(bs)}`);
    results.push(analyse(img1, img2, bs, join(work, 'store')));
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log('# Block size');
  console.log('');
  console.log(`Node ${process.version}, ${cpu}, ${cpus().length} cores (shared, noisy); hash BLAKE3 (@napi-rs/blake-hash), compression LZ4 (lz4-napi compressSync), one thread.`);
  console.log(
    `v1: ${DISK_MIB} MiB GPT disk; ext4 (${DISK_MIB - FAT_MIB - 2} MiB) holds ${int(v1Files.length)} files, ${mb(v1DataBytes)} MiB sampled from ${SOURCES.join(', ')}; FAT32 (${FAT_MIB} MiB) holds ${loaders.length} loaders + 1 config.`,
  );
  console.log(
    `v2 = v1 + update through debugfs: ${update.replaced} files replaced (${mb(update.replacedBytes)} MiB new content), ${update.added} files added (${mb(update.addedBytes)} MiB), ${update.deleted} files deleted (${mb(update.deletedBytes)} MiB). File data written: ${mb(update.replacedBytes + update.addedBytes)} MiB.`,
  );
  console.log('');
  console.log('Dedup and transfer (MiB = 2^20 bytes):');
  console.log('');
  console.log('| block | v1 blocks | v1 unique | v1 stored, LZ4 MiB | v2 blocks | v2 new blocks | new MiB raw | new MiB LZ4 | v2 datagrams | manifest KiB | index entries (v1+v2) | v2 to store/send MiB |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${sizeLabel(r.blockSize)} | ${int(r.v1Blocks)} | ${int(r.v1Unique)} | ${mb(r.v1StoredLz4)} | ${int(r.v2Blocks)} | ${int(r.newBlocks)} | ${mb(r.newBytes)} | ${mb(r.newLz4)} | ${int(r.newDatagrams)} | ${(r.manifestBytes / KIB).toFixed(1)} | ${int(r.indexEntries)} | ${mb(r.sendBytes, 2)} |`,
    );
  }
  console.log('');
  console.log(`Per-block costs on all of v1 (best of ${TIMING_ROUNDS} for CPU; the store write is one pass, write + fsync + rename per block file, one at a time):`);
  console.log('');
  console.log('| block | hash+LZ4 s | MB/s | µs/block | AES-GCM seal s | µs/block | store write s | ms/block |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${sizeLabel(r.blockSize)} | ${r.v1Seconds.toFixed(2)} | ${int((r.v1Blocks * r.blockSize) / 1e6 / r.v1Seconds)} | ${int((r.v1Seconds / r.v1Blocks) * 1e6)} | ${r.sealSeconds.toFixed(3)} | ${((r.sealSeconds / r.v1Unique) * 1e6).toFixed(1)} | ${r.storeSeconds.toFixed(2)} | ${((r.storeSeconds / r.v1Unique) * 1e3).toFixed(2)} |`,
    );
  }
  console.log('');

  // At the size of a real image the manifest (one entry per used block) weighs more, while an
  // update of the same kind touches about as many places on the disk. Projection: the measured
  // new blocks plus the full manifest of a PROJECT_GIB-used disk, and per-TiB block counts.
  const usedV1 = results[0] ? results[0].v1Blocks * results[0].blockSize : 1;
  console.log(`Projection to a disk with ${PROJECT_GIB} GiB used (same update; full manifest per version; import time scaled from v1):`);
  console.log('');
  console.log('| block | manifest per version MiB | update: new LZ4 + manifest MiB | × best | block files per TiB stored | import hash+LZ4 s | import store write s |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const projected = results.map((r) => {
    const manifest = MANIFEST_HEADER + MANIFEST_ENTRY * Math.ceil((PROJECT_GIB * 1024 * MIB) / r.blockSize);
    return { r, manifest, cost: r.newLz4 + manifest };
  });
  const best = Math.min(...projected.map((p) => p.cost));
  for (const p of projected) {
    const scale = (PROJECT_GIB * 1024 * MIB) / usedV1;
    console.log(
      `| ${sizeLabel(p.r.blockSize)} | ${mb(p.manifest, 2)} | ${mb(p.cost, 1)} | ${(p.cost / best).toFixed(2)} | ${int((1024 * 1024 * MIB) / p.r.blockSize)} | ${int(p.r.v1Seconds * scale)} | ${int(p.r.storeSeconds * scale)} |`,
    );
  }
  console.log('');

  // Decision rule, fixed before looking at the numbers: the largest block size whose projected
  // per-version cost is within 10 % of the best one. Between near-equal sizes the larger wins,
  // because everything counted per block (index entries, block files, fsyncs, AEAD tags,
  // manifest entries, hash calls) shrinks with it.
  const acceptable = projected.filter((p) => p.cost <= best * 1.1);
  const pick = acceptable[acceptable.length - 1];
  const smallest = results[0];
  if (pick && smallest) {
    console.log(
      `Recommendation: ${sizeLabel(pick.r.blockSize)} blocks. At ${PROJECT_GIB} GiB used a version like v2 costs ${mb(pick.cost, 1)} MiB (new blocks + manifest), ` +
        `within 10 % of the best (${mb(best, 1)} MiB); smaller blocks dedup the update better (${mb(smallest.newLz4, 1)} MiB new at ${sizeLabel(smallest.blockSize)} vs ${mb(pick.r.newLz4, 1)} MiB) ` +
        `but pay ${(pick.r.blockSize / smallest.blockSize).toFixed(0)}× the manifest entries, index entries, block files and per-block fsync/AEAD/hash calls; larger blocks turn every scattered 4 KiB change into a whole new block.`,
    );
  }
  console.log('');
  console.log(`Total run time ${elapsed()}.`);
}

try {
  await main();
} finally {
  clearTimeout(watchdog);
}
