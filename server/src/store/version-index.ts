import { Level } from 'level';
import { RackcastError } from '../errors.js';
import type { ImageRecord, VersionRecord } from './records.js';


/** Durable key-value state kept in the store's LevelDB (writes are synchronous). */
export interface StateArea<V> {
  get(key: string): Promise<V | undefined>;
  put(key: string, value: V): Promise<void>;
  del(key: string): Promise<void>;
  values(): Promise<V[]>;
  /** Up to `limit` values, last key first (append-only logs keyed by time). */
  newest(limit: number): Promise<V[]>;
}

/**
 * The store's index in LevelDB: images, versions and block reference counts. A version
 * becomes visible only through `commitVersion`, one synchronous batch, so after a crash it is
 * either fully there (with its references counted) or absent.
 */
export class VersionIndex {
  readonly #db: Level<string, string>;
  readonly #images;
  readonly #versions;
  readonly #refs;

  private constructor(db: Level<string, string>) {
    this.#db = db;
    this.#images = db.sublevel<string, ImageRecord>('image', { valueEncoding: 'json' });
    this.#versions = db.sublevel<string, VersionRecord>('version', { valueEncoding: 'json' });
    this.#refs = db.sublevel<string, number>('ref', { valueEncoding: 'json' });
  }

  /** Opens the index; RC_ERR_STORE_LOCKED if another process holds it. */
  static async open(dir: string): Promise<VersionIndex> {
    const db = new Level<string, string>(dir, { valueEncoding: 'utf8' });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new RackcastError('RC_ERR_STORE_LOCKED', `the image store at ${dir} is in use by another process (a running server?)`, { dir }, { cause: err });
      }
      throw err;
    }
    return new VersionIndex(db);
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  /** A named sublevel with JSON values for state that is not the image index (sessions). */
  stateArea<V>(name: string): StateArea<V> {
    const sub = this.#db.sublevel<string, V>(`state-${name}`, { valueEncoding: 'json' });
    // A sublevel opens on the next tick: a chained batch made before that threw "Database is
    // not open" (get and the iterators wait by themselves). Writes are synchronous, so each one
    // waits for the open first.
    const opened = (): Promise<void> => (sub.status === 'open' ? Promise.resolve() : sub.open());
    return {
      get: (key) => sub.get(key),
      put: async (key, value) => { await opened(); const batch = sub.batch(); batch.put(key, value); await batch.write({ sync: true }); },
      del: async (key) => { await opened(); const batch = sub.batch(); batch.del(key); await batch.write({ sync: true }); },
      values: () => sub.values().all(),
      newest: (limit) => sub.values({ reverse: true, limit }).all(),
    };
  }

  getImage(name: string): Promise<ImageRecord | undefined> {
    return this.#images.get(name);
  }

  async listImages(): Promise<ImageRecord[]> {
    return this.#images.values().all();
  }

  /** Versions of an image, oldest first. */
  async listVersions(name: string): Promise<VersionRecord[]> {
    const prefix = `${name}/`;
    return this.#versions.values({ gte: prefix, lt: `${name}0` }).all();
  }

  getVersion(name: string, version: number): Promise<VersionRecord | undefined> {
    return this.#versions.get(versionKey(name, version));
  }

  async allVersions(): Promise<VersionRecord[]> {
    return this.#versions.values().all();
  }

  /** Reference counts for the given block hashes (0 when absent). */
  async refCounts(hexes: readonly string[]): Promise<number[]> {
    const values = await this.#refs.getMany([...hexes]);
    return values.map((v) => v ?? 0);
  }

  async refCount(hex: string): Promise<number> {
    return (await this.#refs.get(hex)) ?? 0;
  }

  /** Every referenced block with its count. */
  async allRefs(): Promise<Map<string, number>> {
    return new Map(await this.#refs.iterator().all());
  }

  /**
   * Commits a version in one synchronous batch: the version record, the image record and the
   * incremented reference counts. `current` are the counts read before, for `distinct` hashes.
   */
  async commitVersion(image: ImageRecord, version: VersionRecord, distinct: readonly string[], current: readonly number[]): Promise<void> {
    const batch = this.#db.batch();
    batch.put(image.name, image, { sublevel: this.#images });
    batch.put(versionKey(version.image, version.version), version, { sublevel: this.#versions });
    distinct.forEach((hex, i) => batch.put(hex, (current[i] ?? 0) + 1, { sublevel: this.#refs }));
    await batch.write({ sync: true });
  }

  /**
   * Removes a version and decrements its blocks' counts in one synchronous batch; counts that
   * reach zero are deleted (gc later removes the files). Removes the image record too when
   * `dropImage` is set.
   */
  async removeVersion(version: VersionRecord, distinct: readonly string[], current: readonly number[], dropImage: boolean): Promise<void> {
    const batch = this.#db.batch();
    batch.del(versionKey(version.image, version.version), { sublevel: this.#versions });
    distinct.forEach((hex, i) => {
      const left = (current[i] ?? 0) - 1;
      if (left > 0) batch.put(hex, left, { sublevel: this.#refs });
      else batch.del(hex, { sublevel: this.#refs });
    });
    if (dropImage) batch.del(version.image, { sublevel: this.#images });
    await batch.write({ sync: true });
  }

  async removeImageRecord(name: string): Promise<void> {
    const batch = this.#db.batch();
    batch.del(name, { sublevel: this.#images });
    await batch.write({ sync: true });
  }
}

/** Zero-padded so versions sort numerically within an image; '/' cannot occur in names. */
function versionKey(name: string, version: number): string {
  return `${name}/${String(version).padStart(10, '0')}`;
}
