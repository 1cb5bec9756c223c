import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeManifest, encodeManifest, isWireError, manifestDigest, type Manifest } from '@rackcast/wire';
import { RackcastError } from '../errors.js';
import { syncDirectory, writeAndRename } from './durable-file.js';

/**
 * Manifests as files named by their digest: manifests/<64 hex>.rcm. Written durably before
 * the index commit that makes their version visible; a file no version names is an orphan of
 * an interrupted commit and gc removes it.
 */
export class ManifestFiles {
  readonly #dir: string;
  readonly #tmp: string;
  #counter = 0;

  constructor(dir: string, tmp: string) {
    this.#dir = dir;
    this.#tmp = tmp;
  }

  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
  }

  /** Encodes and writes a manifest durably; returns its hex digest. */
  async write(manifest: Manifest): Promise<string> {
    const encoded = encodeManifest(manifest);
    const digest = Buffer.from(manifestDigest(encoded)).toString('hex');
    await writeAndRename(join(this.#tmp, `manifest-${process.pid}-${++this.#counter}`), this.#path(digest), encoded);
    await syncDirectory(this.#dir);
    return digest;
  }

  /** Reads and decodes a manifest, checking it is the one `digest` names. */
  async read(digest: string): Promise<Manifest> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#path(digest));
    } catch (err) {
      throw new RackcastError('RC_ERR_STORE_MANIFEST_DAMAGED', `manifest ${digest} is missing from the store`, { manifest: digest }, { cause: err });
    }
    try {
      const manifest = decodeManifest(bytes);
      if (Buffer.from(manifestDigest(bytes)).toString('hex') !== digest) throw new Error('digest differs from its file name');
      return manifest;
    } catch (err) {
      const why = isWireError(err) || err instanceof Error ? err.message : String(err);
      throw new RackcastError('RC_ERR_STORE_MANIFEST_DAMAGED', `manifest ${digest} is damaged: ${why}`, { manifest: digest }, { cause: err });
    }
  }

  /** Digests of every manifest file present. */
  async list(): Promise<string[]> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}\.rcm$/.test(n)).map((n) => n.slice(0, 64));
  }

  async remove(digest: string): Promise<void> {
    await unlink(this.#path(digest)).catch(() => undefined);
  }

  #path(digest: string): string {
    return join(this.#dir, `${digest}.rcm`);
  }
}
