import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { encodeBaseFingerprints, fingerprintManifest, parseMacText, isWireError } from '@rackcast/wire';
import { RackcastError } from '../errors.js';
import type { Logger } from '../log.js';
import { validateImageName, type ImageStore, type StateArea, type VersionRecord } from '../store/index.js';
import { captureView, type CaptureJobRecord, type CaptureRecord, type CaptureView } from './capture-record.js';
import { CaptureSession } from './capture-session.js';

/** What a technician (or, later, a capture job) asks for. */
export interface CreateCaptureRequest {
  /** The image the captured version is added to; created by the first commit if new. */
  readonly image: string;
  /** The machine's MAC, e.g. "52:54:00:12:34:56"; recorded with the version. */
  readonly machine?: string | null;
  /** Set when the capture runs as a machine job: the disk it names ("" = the only fixed disk). */
  readonly job?: { readonly disk: string } | null;
}

/** What the agent learns from its token before offering. */
export interface CaptureInfo {
  readonly capture: CaptureView;
  /** Block size the offer must use, e.g. 262144. */
  readonly blockSize: number;
  /** The image's newest version, which a delta may reference; null for a new image. */
  readonly base: { readonly version: number; readonly digest: string; readonly blocks: number } | null;
}

/** Tokens are bearer secrets: 24 random bytes, URL-safe (as session tokens). */
function newToken(): string {
  return randomBytes(24).toString('base64url');
}

const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Creates and finds captures. Records live in the store's LevelDB (state area "capture"), so a
 * token stays valid across a server restart; sessions (offers, uploads in progress) are held in
 * memory. The token is stored only as its SHA-256.
 */
export class CaptureRegistry {
  readonly #store: ImageStore;
  readonly #log: Logger;
  readonly #records: StateArea<CaptureRecord>;
  readonly #meta: StateArea<number>;
  readonly #sessions = new Map<number, CaptureSession>();
  readonly #watchers = new Set<(record: CaptureRecord) => void>();
  #loaded: Promise<void> | null = null;

  constructor(store: ImageStore, log: Logger) {
    this.#store = store;
    this.#log = log;
    this.#records = store.stateArea<CaptureRecord>('capture');
    this.#meta = store.stateArea<number>('capture-meta');
  }

  async #load(): Promise<void> {
    this.#loaded ??= (async () => {
      // Records written before capture jobs existed have no `job`.
      for (const record of await this.#records.values()) this.#open({ ...record, job: record.job ?? null });
    })();
    await this.#loaded;
  }

  #open(record: CaptureRecord): CaptureSession {
    const session = new CaptureSession(record, this.#store, async (r) => {
      await this.#records.put(String(r.id), r);
      for (const watcher of this.#watchers) watcher(r);
    }, this.#log);
    this.#sessions.set(record.id, session);
    return session;
  }

  /** Calls `onChange` after each saved change of a capture (state, offer, job stage). Returns the function that stops it. */
  watch(onChange: (record: CaptureRecord) => void): () => void {
    this.#watchers.add(onChange);
    return () => this.#watchers.delete(onChange);
  }

  /** Starts a capture and returns it with its token (shown once). */
  async create(request: CreateCaptureRequest): Promise<{ capture: CaptureView; token: string }> {
    await this.#load();
    const image = validateImageName(request.image);
    const machine = request.machine ? normaliseMac(request.machine) : null;
    const id = (await this.#meta.get('next')) ?? 1;
    await this.#meta.put('next', id + 1);
    const token = newToken();
    const now = new Date().toISOString();
    const job: CaptureJobRecord | null = request.job ? { disk: request.job.disk, stage: 'queued', progress: null, tries: 0, failure: null } : null;
    const record: CaptureRecord = {
      id, image, machine, tokenHash: tokenHash(token), state: 'waiting', createdAt: now, updatedAt: now, offer: null,
      uploads: { blocks: 0, bytes: 0, duplicates: 0, refused: 0 }, wire: { offers: 0, offerBytes: 0, fingerprintBytes: 0 }, version: null, job,
    };
    await this.#records.put(String(id), record);
    this.#open(record);
    this.#log.info({ capture: id, image, mac: machine ?? undefined }, 'capture created');
    return { capture: captureView(record), token };
  }

  async list(): Promise<CaptureView[]> {
    await this.#load();
    return [...this.#sessions.values()].map((s) => captureView(s.record)).sort((a, b) => a.id - b.id);
  }

  async get(id: number): Promise<CaptureSession> {
    await this.#load();
    const session = this.#sessions.get(id);
    if (!session) throw new RackcastError('RC_ERR_CAPTURE_NOT_FOUND', `no capture ${id}; \`rackcast capture list\` shows them`, { capture: id });
    return session;
  }

  /** The capture a bearer token opens; RC_ERR_CAPTURE_BAD_TOKEN for any other token. */
  async byToken(token: string | undefined): Promise<CaptureSession> {
    await this.#load();
    const wanted = Buffer.from(tokenHash(token ?? ''), 'hex');
    for (const session of this.#sessions.values()) {
      if (token && timingSafeEqual(Buffer.from(session.record.tokenHash, 'hex'), wanted)) return session;
    }
    throw new RackcastError('RC_ERR_CAPTURE_BAD_TOKEN', 'the capture token is unknown; start a capture with `rackcast capture start` and give the agent its token');
  }

  /** What the agent needs before offering: block size and the base a delta may name. */
  async info(session: CaptureSession): Promise<CaptureInfo> {
    const base = await this.#newestVersion(session.record.image);
    return {
      capture: captureView(session.record), blockSize: this.#store.options.blockSize,
      base: base === null ? null : { version: base.version, digest: base.manifestDigest, blocks: base.blockCount },
    };
  }

  /** The newest version's fingerprints (RCBF); RC_ERR_STORE_VERSION_NOT_FOUND for a new image. */
  async fingerprints(session: CaptureSession): Promise<Uint8Array> {
    const base = await this.#newestVersion(session.record.image);
    if (base === null) throw new RackcastError('RC_ERR_STORE_VERSION_NOT_FOUND', `${session.record.image} has no version yet: offer a full manifest`, { image: session.record.image });
    const manifest = await this.#store.readManifest(base);
    const bytes = encodeBaseFingerprints(fingerprintManifest(manifest, Buffer.from(base.manifestDigest, 'hex')));
    session.countFingerprints(bytes.byteLength);
    return bytes;
  }

  async #newestVersion(image: string): Promise<VersionRecord | null> {
    return (await this.#store.index.listVersions(image)).at(-1) ?? null;
  }
}

function normaliseMac(text: string): string {
  try {
    return parseMacText(text.replaceAll('-', ':'), 'machine');
  } catch (err) {
    if (isWireError(err)) throw new RackcastError('RC_ERR_BAD_REQUEST', `machine ${JSON.stringify(text)} is not a MAC address such as 52:54:00:12:34:56`);
    throw err;
  }
}
