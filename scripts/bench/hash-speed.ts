// Content-hash throughput on disk-like blocks, to choose the manifest's content hash.
//
// The corpus is 1 MiB blocks of mixed data as found on a disk image: slices of real binaries
// from /usr/lib and /usr/bin, text, random bytes, zeros and half-zero blocks. Every candidate
// hashes the whole corpus five times, one call per block; the best run counts (the machine
// may be shared and noisy), the median is shown beside it. The same corpus is also hashed in
// 64 KiB pieces to show the per-call overhead at small block sizes.
//
//   npx tsc -p scripts/bench && node scripts/bench/dist/hash-speed.js [--rounds 5] [--mib 48]
import { createHash, getHashes, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { blake3 } from '@napi-rs/blake-hash';

const MIB = 1024 * 1024;

interface Candidate {
  name: string;
  digestBytes: number;
  note: string;
  hash: (block: Uint8Array) => Uint8Array;
}

interface Result {
  candidate: Candidate;
  best1M: number;
  median1M: number;
  best64K: number;
}

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    mib: { type: 'string', default: '48' },
  },
});
const ROUNDS = Number(args.rounds);
const CORPUS_MIB = Number(args.mib);
if (!(ROUNDS >= 1 && CORPUS_MIB >= 8)) throw new Error('--rounds must be >= 1 and --mib >= 8');

/** Regular files under `root` of at least `minSize` bytes, sorted, at most 4 levels deep. */
function listFiles(root: string, minSize: number, out: { path: string; size: number }[] = [], depth = 0): { path: string; size: number }[] {
  let names: string[];
  try {
    names = readdirSync(root).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(root, name);
    let st;
    try {
      st = statSync(path, { throwIfNoEntry: false });
    } catch {
      continue;
    }
    if (!st) continue;
    if (st.isDirectory() && depth < 4) listFiles(path, minSize, out, depth + 1);
    else if (st.isFile() && st.size >= minSize) out.push({ path, size: st.size });
  }
  return out;
}

function readSlice(path: string, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    let at = 0;
    while (at < length) {
      const n = readSync(fd, buf, at, length - at, offset + at);
      if (n === 0) break;
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** 1 MiB slices of real executables and libraries, spread over the files found. */
function binaryBlocks(count: number): Buffer[] {
  const files = [...listFiles('/usr/lib/x86_64-linux-gnu', MIB), ...listFiles('/usr/bin', MIB), ...listFiles('/usr/lib', 4 * MIB)];
  if (files.length === 0) return Array.from({ length: count }, () => randomBytes(MIB));
  const blocks: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const f = files[Math.floor((i * files.length) / count)];
    if (!f) break;
    const offset = Math.floor(((f.size - MIB) * ((i * 7919) % 101)) / 101 / 4096) * 4096;
    blocks.push(readSlice(f.path, offset, MIB));
  }
  return blocks;
}

/** Text blocks: uncompressed documentation and headers, concatenated. */
function textBlocks(count: number): Buffer[] {
  const sources = [
    ...listFiles('/usr/share/common-licenses', 1),
    ...listFiles('/usr/include', 1024).slice(0, 4000),
    ...listFiles('/usr/share/doc', 1024).filter((f) => !f.path.endsWith('.gz')),
  ];
  const chunks: Buffer[] = [];
  let total = 0;
  for (const f of sources) {
    if (total >= count * MIB) break;
    try {
      const b = readFileSync(f.path);
      chunks.push(b);
      total += b.length;
    } catch {
      // unreadable: skip
    }
  }
  while (total < count * MIB) {
    const filler = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(4096));
    chunks.push(filler);
    total += filler.length;
  }
  const all = Buffer.concat(chunks);
  return Array.from({ length: count }, (_, i) => Buffer.from(all.subarray(i * MIB, (i + 1) * MIB)));
}

function buildCorpus(mib: number): { blocks: Buffer[]; mix: string } {
  const nBinary = Math.round(mib * 0.45);
  const nText = Math.round(mib * 0.2);
  const nRandom = Math.round(mib * 0.15);
  const nZero = Math.round(mib * 0.1);
  const nHalf = mib - nBinary - nText - nRandom - nZero;
  const bin = binaryBlocks(nBinary + nHalf);
  const blocks = [
    ...bin.slice(0, nBinary),
    ...textBlocks(nText),
    ...Array.from({ length: nRandom }, () => randomBytes(MIB)),
    ...Array.from({ length: nZero }, () => Buffer.alloc(MIB)),
    ...bin.slice(nBinary).map((b) => {
      const half = Buffer.alloc(MIB);
      b.copy(half, 0, 0, MIB / 2);
      return half;
    }),
  ];
  // Interleave so that no candidate sees one kind of data in a row (caches, branch predictors).
  const mixed: Buffer[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[(i * 17) % blocks.length];
    if (b) mixed.push(b);
  }
  return { blocks: mixed, mix: `${nBinary} binary, ${nText} text, ${nRandom} random, ${nZero} zero, ${nHalf} half-zero` };
}

function nodeHash(name: string): (block: Uint8Array) => Uint8Array {
  return (block) => createHash(name).update(block).digest();
}

async function candidates(): Promise<{ list: Candidate[]; notes: string[] }> {
  const available = new Set(getHashes());
  const notes: string[] = [];
  const list: Candidate[] = [{ name: 'sha256 (node:crypto)', digestBytes: 32, note: 'OpenSSL', hash: nodeHash('sha256') }];
  if (available.has('sha512-256')) {
    list.push({ name: 'sha512-256 (node:crypto)', digestBytes: 32, note: 'OpenSSL', hash: nodeHash('sha512-256') });
  } else {
    notes.push('sha512-256 is not offered by this OpenSSL: skipped');
  }
  if (available.has('blake2b512')) {
    list.push({ name: 'blake2b512 (node:crypto)', digestBytes: 64, note: 'OpenSSL', hash: nodeHash('blake2b512') });
  } else {
    notes.push('blake2b512 is not offered by this OpenSSL: skipped');
  }
  list.push({ name: 'BLAKE3 (@napi-rs/blake-hash)', digestBytes: 32, note: 'native addon', hash: (b) => blake3(b) });
  // Optional: only if the package happens to be installed. The specifier is a variable so that
  // TypeScript does not require the package at compile time.
  const xxhashModule = '@node-rs/xxhash';
  try {
    const mod: unknown = await import(xxhashModule);
    const xxh64 = typeof mod === 'object' && mod !== null && 'xxh64' in mod ? mod.xxh64 : undefined;
    if (typeof xxh64 !== 'function') throw new Error('no xxh64 export');
    list.push({
      name: 'xxh64 (@node-rs/xxhash)',
      digestBytes: 8,
      note: 'not cryptographic: reference only',
      hash: (b) => {
        const v: unknown = xxh64(b);
        return typeof v === 'bigint' ? new Uint8Array(new BigUint64Array([v]).buffer) : new Uint8Array(0);
      },
    });
  } catch {
    notes.push('xxh64: @node-rs/xxhash is not installed: skipped (it would be a non-cryptographic reference point only)');
  }
  return { list, notes };
}

/** Seconds to hash every piece once. */
function timeOnce(hash: (b: Uint8Array) => Uint8Array, pieces: readonly Uint8Array[]): number {
  const t0 = process.hrtime.bigint();
  for (const p of pieces) hash(p);
  const t1 = process.hrtime.bigint();
  return Number(t1 - t0) / 1e9;
}

function cpuFlags(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/));
    return ['sha_ni', 'avx2', 'avx512f', 'aes'].filter((f) => flags.has(f)).join(', ') || 'none of sha_ni/avx2/avx512f/aes';
  } catch {
    return 'unknown';
  }
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const { blocks, mix } = buildCorpus(CORPUS_MIB);
  const bytes = blocks.length * MIB;
  const small: Uint8Array[] = blocks.flatMap((b) => Array.from({ length: MIB / 65536 }, (_, i) => b.subarray(i * 65536, (i + 1) * 65536)));
  const { list, notes } = await candidates();

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`# Hash throughput`);
  console.log('');
  console.log(`Node ${process.version}, OpenSSL ${process.versions.openssl}, ${cpu}, ${cpus().length} cores, CPU flags: ${cpuFlags()}`);
  console.log(`Corpus: ${blocks.length} blocks of 1 MiB (${mix}); single thread; best of ${ROUNDS} runs over the whole corpus.`);
  console.log('');

  const results: Result[] = [];
  for (const c of list) {
    timeOnce(c.hash, blocks.slice(0, 8)); // warm-up: JIT, lazy init of the addon
    const runs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) runs.push(bytes / 1e6 / timeOnce(c.hash, blocks));
    runs.sort((a, b) => a - b);
    let best64K = 0;
    for (let r = 0; r < ROUNDS; r++) best64K = Math.max(best64K, bytes / 1e6 / timeOnce(c.hash, small));
    results.push({ candidate: c, best1M: runs[runs.length - 1] ?? 0, median1M: runs[Math.floor(runs.length / 2)] ?? 0, best64K });
  }

  const sha = results[0]?.best1M ?? 1;
  console.log('| hash | digest | MB/s, 1 MiB blocks (best) | median | MB/s, 64 KiB blocks (best) | × sha256 (1 MiB) | note |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of results) {
    console.log(
      `| ${r.candidate.name} | ${r.candidate.digestBytes * 8} bit | ${fmt(r.best1M)} | ${fmt(r.median1M)} | ${fmt(r.best64K)} | ${fmt(r.best1M / sha, 2)} | ${r.candidate.note} |`,
    );
  }
  console.log('');
  console.log('MB = 10^6 bytes.');
  for (const n of notes) console.log(`Note: ${n}`);
}

await main();
