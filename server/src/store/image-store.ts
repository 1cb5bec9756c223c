import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { usedBytes, type Manifest } from '@rackcast/wire';
import { RackcastError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { decompressBlock } from './block-codec.js';
import { BlockStore } from './block-store.js';
import { describeSelector, validateImageName, type VersionSelector } from './image-ref.js';
import { ManifestFiles } from './manifest-files.js';
import type { ImageRecord, VersionMeta, VersionRecord } from './records.js';
import { VersionIndex, type StateArea } from './version-index.js';
import { VersionWriter } from './version-writer.js';
import { WriterLock } from './writer-lock.js';

const FORMAT_LINE = 'rackcast-store 1\n';

export interface ImageStoreOptions {
  /** The store folder, e.g. "var/store". */
  readonly dir: string;
  /** Block size for new versions in bytes, e.g. 1048576. */
  readonly blockSize: number;
  /** Keep the newest N versions of each image; 0 keeps all. */
  readonly keepVersions: number;
  /** Per image, instead of keepVersions: image name → versions kept (0 keeps all). */
  readonly keepByImage?: Readonly<Record<string, number>>;
  readonly log?: Logger;
}

/** An image with its newest version, for listings. */
export interface ImageSummary {
  readonly name: string;
  readonly createdAt: string;
  readonly versionCount: number;
  readonly latest: VersionRecord | null;
}

/**
 * The image store: content-addressed, compressed block files, manifests named by digest, and
 * a LevelDB index of images, versions and block reference counts. Writers add blocks freely;
 * every change to the index goes through one lock, in one synchronous batch.
 */
export class ImageStore {
  readonly blocks: BlockStore;
  readonly manifests: ManifestFiles;
  readonly index: VersionIndex;
  readonly options: Readonly<ImageStoreOptions>;
  readonly log: Logger;
  readonly lock = new WriterLock();
  /** Hashes that open writers use but have not committed; gc must not delete them. */
  readonly pending = new Map<string, number>();

  private constructor(options: ImageStoreOptions, index: VersionIndex, log: Logger) {
    this.options = options;
    this.log = log;
    this.index = index;
    const tmp = join(options.dir, 'tmp');
    this.blocks = new BlockStore(join(options.dir, 'blocks'));
    this.manifests = new ManifestFiles(join(options.dir, 'manifests'), tmp);
  }

  /** Opens (creating if new) the store at `options.dir`; RC_ERR_STORE_LOCKED if it is in use. */
  static async open(options: ImageStoreOptions): Promise<ImageStore> {
    await mkdir(options.dir, { recursive: true });
    await checkFormat(options.dir);
    const index = await VersionIndex.open(join(options.dir, 'index'));
    const store = new ImageStore(options, index, options.log ?? silentLogger());
    await mkdir(join(options.dir, 'tmp'), { recursive: true });
    await store.blocks.init();
    await store.manifests.init();
    return store;
  }

  close(): Promise<void> {
    return this.index.close();
  }

  async listImages(): Promise<ImageSummary[]> {
    const images = await this.index.listImages();
    return Promise.all(images.map(async (image) => {
      const versions = await this.index.listVersions(image.name);
      return { name: image.name, createdAt: image.createdAt, versionCount: versions.length, latest: versions.at(-1) ?? null };
    }));
  }

  /** The image record; RC_ERR_STORE_IMAGE_NOT_FOUND if there is none. */
  async getImage(name: string): Promise<ImageRecord> {
    const image = await this.index.getImage(validateImageName(name));
    if (!image) throw new RackcastError('RC_ERR_STORE_IMAGE_NOT_FOUND', `no image named ${name}`, { image: name });
    return image;
  }

  /** Versions of an image, oldest first. */
  async listVersions(name: string): Promise<VersionRecord[]> {
    await this.getImage(name);
    return this.index.listVersions(name);
  }

  /** Finds the version a selector names; RC_ERR_STORE_VERSION_NOT_FOUND with the choices otherwise. */
  async resolveVersion(name: string, selector: VersionSelector): Promise<VersionRecord> {
    const versions = await this.listVersions(name);
    const found = pickVersion(versions, selector);
    if (found) return found;
    const have = versions.map((v) => `${v.version} (${v.createdAt})`).join(', ') || 'none';
    const why = typeof selector === 'object' && versions[0] && selector.at < new Date(versions[0].createdAt)
      ? `the time is before the first version of ${name}` : `${name} has no version ${describeSelector(selector)}`;
    throw new RackcastError('RC_ERR_STORE_VERSION_NOT_FOUND', `${why}; versions: ${have}`, { image: name, version: describeSelector(selector) });
  }

  readManifest(version: VersionRecord): Promise<Manifest> {
    return this.manifests.read(version.manifestDigest);
  }

  /** Reads and verifies one block by hash. */
  readBlock(hash: Uint8Array): Promise<Buffer> {
    return this.blocks.read(hash);
  }

  /**
   * The stored frame of a block (what the block stream sends), after checking that it
   * decompresses to the bytes its hash names: a damaged block is never sent.
   */
  async readVerifiedFrame(hash: Uint8Array): Promise<Buffer> {
    const hex = Buffer.from(hash).toString('hex');
    const frame = await this.blocks.readFrame(hex);
    await decompressBlock(frame, hash, hex);
    return frame;
  }

  /** The stored frame of a block as it is, unchecked (for a caller that verified it before). */
  readFrame(hash: Uint8Array): Promise<Buffer> {
    return this.blocks.readFrame(Buffer.from(hash).toString('hex'));
  }

  /** A typed key-value area of the store's LevelDB for other modules' state (sessions). */
  stateArea<V>(name: string): StateArea<V> {
    return this.index.stateArea<V>(name);
  }

  /** Starts a new version of `name`; blocks are added, then `commit` makes it visible. */
  beginVersion(name: string): VersionWriter {
    return new VersionWriter(this, validateImageName(name));
  }

  /** Commits a manifest whose blocks are all in the store; used by writers and composition. */
  async commitManifest(name: string, manifest: Manifest, meta: VersionMeta, fresh: ReadonlyMap<string, number>): Promise<VersionRecord> {
    await this.blocks.flush();
    const digest = await this.manifests.write(manifest);
    const record = await this.lock.run(() => this.#commitLocked(name, manifest, digest, meta, fresh));
    this.log.info({ image: name, version: record.version, blocks: record.blockCount, newBlocks: record.newBlocks }, 'version committed');
    await this.applyRetention(name);
    return record;
  }

  async #commitLocked(name: string, manifest: Manifest, digest: string, meta: VersionMeta, fresh: ReadonlyMap<string, number>): Promise<VersionRecord> {
    const existing = await this.index.getImage(name);
    const image: ImageRecord = existing
      ? { ...existing, nextVersion: existing.nextVersion + 1 }
      : { name, createdAt: new Date().toISOString(), nextVersion: 2 };
    const distinct = distinctHashes(manifest);
    const current = await this.index.refCounts(distinct);
    const { newBlocks, newBytes, newStoredBytes } = await this.#newBlockStats(manifest, distinct, current, fresh);
    const record: VersionRecord = {
      image: name,
      version: existing?.nextVersion ?? 1,
      createdAt: (meta.createdAt ?? new Date()).toISOString(),
      manifestDigest: digest,
      blockSize: manifest.blockSize,
      diskSize: manifest.diskSize,
      blockCount: manifest.blocks.length,
      usedBytes: usedBytes(manifest),
      newBlocks, newBytes, newStoredBytes,
      source: meta.source,
      profile: meta.profile ?? null,
      config: meta.config ?? null,
    };
    await this.#checkBlocksPresent(distinct, current);
    await this.index.commitVersion(image, record, distinct, current);
    return record;
  }

  /** Blocks never referenced before count as this version's new data. */
  async #newBlockStats(manifest: Manifest, distinct: readonly string[], current: readonly number[], fresh: ReadonlyMap<string, number>) {
    const isNew = new Set(distinct.filter((_, i) => current[i] === 0));
    let newBytes = 0;
    let newStoredBytes = 0;
    const counted = new Set<string>();
    for (const block of manifest.blocks) {
      const hex = Buffer.from(block.hash).toString('hex');
      if (!isNew.has(hex) || counted.has(hex)) continue;
      counted.add(hex);
      newBytes += block.length;
      newStoredBytes += fresh.get(hex) ?? (await this.blocks.sizeOf(hex)) ?? 0;
    }
    return { newBlocks: isNew.size, newBytes, newStoredBytes };
  }

  /** A version must never reference a block the store lacks (composition, crash leftovers). */
  async #checkBlocksPresent(distinct: readonly string[], current: readonly number[]): Promise<void> {
    for (let i = 0; i < distinct.length; i++) {
      if ((current[i] ?? 0) > 0) continue;
      const hex = distinct[i] as string;
      if (await this.blocks.sizeOf(hex) === undefined) {
        throw new RackcastError('RC_ERR_STORE_BLOCK_MISSING', `the new version references block ${hex}, which the store does not have`, { block: hex });
      }
    }
  }

  /** Deletes one version; its blocks go when gc finds them unreferenced. */
  async removeVersion(name: string, version: number): Promise<VersionRecord> {
    const record = await this.resolveVersion(name, version);
    await this.lock.run(() => this.#removeLocked(record, false));
    this.log.info({ image: name, version }, 'version removed');
    return record;
  }

  /** Deletes an image with all its versions. */
  async removeImage(name: string): Promise<VersionRecord[]> {
    const versions = await this.listVersions(name);
    await this.lock.run(async () => {
      for (const [i, v] of versions.entries()) await this.#removeLocked(v, i === versions.length - 1);
      if (versions.length === 0) await this.index.removeImageRecord(name);
    });
    this.log.info({ image: name, versions: versions.length }, 'image removed');
    return versions;
  }

  async #removeLocked(record: VersionRecord, dropImage: boolean): Promise<void> {
    const manifest = await this.readManifest(record).catch(() => null);
    // A damaged manifest cannot tell its blocks; the version still goes, and verify/gc
    // reconcile counts from the manifests that remain (see store-gc.ts).
    const distinct = manifest ? distinctHashes(manifest) : [];
    const current = await this.index.refCounts(distinct);
    await this.index.removeVersion(record, distinct, current, dropImage);
  }

  /** Versions of `name` retention keeps: its own setting, else keepVersions (0: all). */
  keepCountOf(name: string): number {
    return this.options.keepByImage?.[name] ?? this.options.keepVersions;
  }

  /**
   * Keeps the newest versions of an image (keepCountOf; 0 keeps all). Deleting an old version
   * never breaks a newer one: every version's manifest lists all its blocks (a composed version
   * is synthetic full), and a block stays while any version counts a reference to it.
   */
  async applyRetention(name: string): Promise<VersionRecord[]> {
    const keep = this.keepCountOf(name);
    if (keep <= 0) return [];
    const versions = await this.index.listVersions(name);
    const expired = versions.slice(0, Math.max(0, versions.length - keep));
    if (expired.length === 0) return [];
    await this.lock.run(async () => {
      for (const v of expired) await this.#removeLocked(v, false);
    });
    this.log.info({ image: name, removed: expired.map((v) => v.version) }, 'retention removed versions');
    return expired;
  }

  /** Marks hashes as in use by an open writer (gc skips them until released). */
  hold(hex: string): void {
    this.pending.set(hex, (this.pending.get(hex) ?? 0) + 1);
  }

  release(hex: string): void {
    const left = (this.pending.get(hex) ?? 1) - 1;
    if (left > 0) this.pending.set(hex, left);
    else this.pending.delete(hex);
  }
}

/** Distinct block hashes of a manifest, hex, in first-use order. */
export function distinctHashes(manifest: Manifest): string[] {
  const seen = new Set<string>();
  for (const block of manifest.blocks) seen.add(Buffer.from(block.hash).toString('hex'));
  return [...seen];
}

function pickVersion(versions: readonly VersionRecord[], selector: VersionSelector): VersionRecord | undefined {
  if (selector === 'latest') return versions.at(-1);
  if (typeof selector === 'number') return versions.find((v) => v.version === selector);
  const at = selector.at.getTime();
  return versions.filter((v) => new Date(v.createdAt).getTime() <= at).at(-1);
}

/** A store folder carries a FORMAT file; refuse folders of another format or program. */
async function checkFormat(dir: string): Promise<void> {
  const path = join(dir, 'FORMAT');
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) {
    await writeFile(path, FORMAT_LINE, { flag: 'wx' }).catch(() => undefined);
    return;
  }
  if (text !== FORMAT_LINE) {
    throw new RackcastError('RC_ERR_STORE_FORMAT', `${dir} is not a Rackcast store of format 1 (FORMAT says ${JSON.stringify(text.trim())})`, { dir });
  }
}
