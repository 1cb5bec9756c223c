import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';

/** A directory in the image. */
export interface DirEntry { readonly kind: 'dir'; readonly path: string; readonly mode: number }
/** A file copied from the build host. */
export interface FileEntry {
  readonly kind: 'file'; readonly path: string; readonly mode: number;
  /** Host path it is copied from. Example: /usr/sbin/blkid */
  readonly source: string;
  readonly sha256: string; readonly size: number;
}
/** A file whose bytes the builder generates (configuration, scripts, lists). */
export interface DataEntry { readonly kind: 'data'; readonly path: string; readonly mode: number; readonly data: Buffer; readonly sha256: string }
/** A symbolic link. */
export interface LinkEntry { readonly kind: 'symlink'; readonly path: string; readonly target: string }

/** One entry of an initramfs archive; paths are relative to its root, without a leading slash. */
export type ImageEntry = DirEntry | FileEntry | DataEntry | LinkEntry;

/** sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256Bytes(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function normalise(path: string): string {
  const p = posix.normalize(path).replace(/^\/+/, '');
  if (p === '' || p === '.' || p.startsWith('..')) throw new Error(`bad image path '${path}'`);
  return p;
}

/**
 * What goes into one initramfs archive, before anything is copied. Its key (a hash over every
 * path, mode, link target and content hash) is what decides whether the archive must be
 * rebuilt: same key, same bytes.
 */
export class ImagePlan {
  readonly #entries = new Map<string, ImageEntry>();

  /** Adds a directory and its parents (0755 unless given). */
  addDir(path: string, mode = 0o755): void {
    const p = normalise(path);
    const parent = posix.dirname(p);
    if (parent !== '.') this.addDir(parent);
    const existing = this.#entries.get(p);
    if (existing && existing.kind !== 'dir') throw new Error(`image path ${p} is both a directory and a ${existing.kind}`);
    if (!existing || mode !== 0o755) this.#entries.set(p, { kind: 'dir', path: p, mode });
  }

  /** Adds a copy of a host file; the content hash is taken now. */
  async addFile(path: string, source: string, mode = 0o644): Promise<void> {
    const p = this.#claim(path);
    const [sha256, info] = await Promise.all([sha256File(source), stat(source)]);
    this.#entries.set(p, { kind: 'file', path: p, mode, source, sha256, size: info.size });
  }

  /** Adds a generated file. */
  addData(path: string, data: Buffer | string, mode = 0o644): void {
    const p = this.#claim(path);
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
    this.#entries.set(p, { kind: 'data', path: p, mode, data: bytes, sha256: sha256Bytes(bytes) });
  }

  addSymlink(path: string, target: string): void {
    const p = this.#claim(path);
    this.#entries.set(p, { kind: 'symlink', path: p, target });
  }

  has(path: string): boolean {
    return this.#entries.has(normalise(path));
  }

  /** Entries in archive order: byte order of the path, so every directory precedes its contents. */
  entries(): ImageEntry[] {
    return [...this.#entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Bytes of file content: what the archive occupies in RAM once the kernel unpacked it. */
  contentBytes(): number {
    let total = 0;
    for (const e of this.#entries.values()) {
      if (e.kind === 'file') total += e.size;
      else if (e.kind === 'data') total += e.data.length;
    }
    return total;
  }

  /** Hash of everything that determines the archive's bytes, plus `salt` (format, epoch, compressor). */
  key(salt: string): string {
    const hash = createHash('sha256').update(`${salt}\n`);
    for (const e of this.entries()) hash.update(`${describe(e)}\n`);
    return hash.digest('hex');
  }

  #claim(path: string): string {
    const p = normalise(path);
    if (this.#entries.has(p)) throw new Error(`image path ${p} is added twice`);
    const parent = posix.dirname(p);
    if (parent !== '.') this.addDir(parent);
    return p;
  }
}

function describe(e: ImageEntry): string {
  switch (e.kind) {
    case 'dir': return `d ${e.mode.toString(8)} ${e.path}`;
    case 'file': case 'data': return `f ${e.mode.toString(8)} ${e.sha256} ${e.path}`;
    case 'symlink': return `l ${e.path} -> ${e.target}`;
  }
}
