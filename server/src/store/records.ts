/** JSON value kept free-form: a machine profile or captured configuration. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Where a version came from. */
export interface VersionSource {
  /** import: a file; capture: a machine; compose: a delta over a base version. */
  readonly kind: 'import' | 'capture' | 'compose';
  /** The imported file's name (not its full path), e.g. "golden.qcow2". */
  readonly file?: string;
  /** The imported file's format, e.g. "qcow2". */
  readonly format?: string;
  /** The version this one was composed from, if any. */
  readonly baseVersion?: number;
  /** capture: the capture's id, e.g. 12. */
  readonly capture?: number;
  /** capture: the captured machine's MAC when the capture named one, e.g. "52:54:00:12:34:56". */
  readonly machine?: string;
  /** capture: how the agent offered the blocks ("full" manifest or "delta" against baseVersion). */
  readonly offer?: 'full' | 'delta';
}

/** One image: a name with numbered versions. */
export interface ImageRecord {
  readonly name: string;
  readonly createdAt: string;
  /** The number the next version will get; versions are never renumbered. */
  readonly nextVersion: number;
}

/** One version of an image: a point in time with its manifest and what it was made from. */
export interface VersionRecord {
  readonly image: string;
  readonly version: number;
  /** The point in time this version represents (ISO 8601). */
  readonly createdAt: string;
  /** Hex digest of the manifest file; the file is manifests/<digest>.rcm. */
  readonly manifestDigest: string;
  readonly blockSize: number;
  readonly diskSize: number;
  readonly blockCount: number;
  /** Bytes covered by used blocks. */
  readonly usedBytes: number;
  /** Blocks this version added to the store (not shared with any earlier version). */
  readonly newBlocks: number;
  /** Uncompressed bytes of those blocks. */
  readonly newBytes: number;
  /** Bytes those blocks take in the store (compressed). */
  readonly newStoredBytes: number;
  readonly source: VersionSource;
  /** The source machine's profile, if known. */
  readonly profile: JsonValue;
  /** The captured configuration (hostname, addresses, layout…), if known. */
  readonly config: JsonValue;
}

/** Metadata a caller gives when committing a version. */
export interface VersionMeta {
  readonly source: VersionSource;
  readonly createdAt?: Date;
  readonly profile?: JsonValue;
  readonly config?: JsonValue;
}
