import { BlockSet, parseCapturedConfig, parseMachineProfile, isWireError, type CapturedConfig, type MachineProfile } from '@rackcast/wire';
import { hasCode, RackcastError } from '../errors.js';
import type { Logger } from '../log.js';
import { distinctHashes, type ImageStore, type JsonValue, type VersionRecord, type VersionWriter } from '../store/index.js';
import type { CaptureJobRecord, CaptureRecord, OfferSummary } from './capture-record.js';
import { readOffer, type OfferPlan } from './read-offer.js';

/** The server's answer to an offer: which of the offered blocks to upload. */
export interface OfferReply {
  readonly offer: OfferSummary;
  /** Bit i set: upload offered block i (only the first of equal blocks is set). Base64 of a BlockSet. */
  readonly missingBitmap: string;
}

/** What the agent sends to finish: the captured configuration and its hardware profile. */
export interface CommitRequest {
  readonly config: unknown;
  readonly profile: unknown;
}

/** The result of one block upload. */
export interface UploadReply {
  /** False when the store already had it (a block re-sent after a lost answer). */
  readonly stored: boolean;
  /** Distinct blocks still missing. */
  readonly missing: number;
}

/**
 * One capture in progress: the phases are waiting → uploading (after an offer) → committed,
 * or cancelled from any phase. Only messages legal in the current phase are taken; a new offer
 * in "uploading" replaces the old one (the agent restarted), keeping every block already stored.
 * State that must outlive the server (phase, counters) goes to `save`; the offer itself lives in
 * memory, and a restarted server answers an upload with RC_ERR_CAPTURE_NOT_OFFERED, on which the
 * agent offers again and re-sends only what the store still lacks.
 */
export class CaptureSession {
  #record: CaptureRecord;
  readonly #store: ImageStore;
  readonly #save: (record: CaptureRecord) => Promise<void>;
  readonly #log: Logger;
  #writer: VersionWriter | null = null;
  #plan: OfferPlan | null = null;
  /** Missing blocks by hash hex → their length. */
  readonly #missing = new Map<string, number>();
  #committing: Promise<VersionRecord> | null = null;

  constructor(record: CaptureRecord, store: ImageStore, save: (record: CaptureRecord) => Promise<void>, log: Logger) {
    this.#record = record;
    this.#store = store;
    this.#save = save;
    this.#log = log.child({ capture: record.id, image: record.image });
  }

  get record(): CaptureRecord {
    return this.#record;
  }

  #checkOpen(): void {
    const state = this.#record.state;
    if (state === 'committed' || state === 'cancelled' || state === 'failed') {
      throw new RackcastError('RC_ERR_CAPTURE_CLOSED', `capture ${this.#record.id} is ${state}; start a new capture with \`rackcast capture start --image ${this.#record.image}\``, { capture: this.#record.id });
    }
  }

  async #update(change: Partial<CaptureRecord>): Promise<void> {
    this.#record = { ...this.#record, ...change, updatedAt: new Date().toISOString() };
    await this.#save(this.#record);
  }

  /** Counts base fingerprints sent to the agent (protocol bytes, reported with the capture). */
  countFingerprints(bytes: number): void {
    this.#record = { ...this.#record, wire: { ...this.#record.wire, fingerprintBytes: this.#record.wire.fingerprintBytes + bytes } };
  }

  /** Takes an offer (RCMF or RCMD bytes) and answers which blocks the store lacks. */
  async offer(bytes: Uint8Array): Promise<OfferReply> {
    this.#checkOpen();
    const wire = { ...this.#record.wire, offers: this.#record.wire.offers + 1, offerBytes: this.#record.wire.offerBytes + bytes.byteLength };
    this.#record = { ...this.#record, wire };
    const plan = await readOffer(this.#store, this.#record.image, bytes);
    this.#writer ??= this.#store.beginVersion(this.#record.image);
    // A delta's version also names base blocks it does not offer: hold them from now on.
    if (plan.summary.kind === 'delta') this.#writer.holdReferenced(distinctHashes(plan.manifest));
    const bitmap = new BlockSet(plan.offered.length);
    this.#missing.clear();
    const present = await this.#writer.holdBlocks(plan.offered.map((b) => b.hex));
    for (const [i, block] of plan.offered.entries()) {
      if (present[i] || this.#missing.has(block.hex)) continue;
      // A block file left by this capture before a server restart counts once re-verified.
      if (await this.#writer.adoptStored(block.hash)) continue;
      this.#missing.set(block.hex, block.length);
      bitmap.add(i);
    }
    this.#plan = plan;
    const offer: OfferSummary = { ...plan.summary, missing: this.#missing.size };
    await this.#update({ state: 'uploading', offer });
    this.#log.info({ kind: offer.kind, blocks: offer.blocks, offered: offer.offered, missing: offer.missing, baseVersion: offer.baseVersion }, 'capture offer');
    return { offer, missingBitmap: bitmap.toBase64() };
  }

  /** Stores one uploaded block frame after checking it is a missing block and matches its hash. */
  async upload(hex: string, frame: Uint8Array): Promise<UploadReply> {
    this.#checkOpen();
    if (this.#plan === null || this.#writer === null) {
      throw new RackcastError('RC_ERR_CAPTURE_NOT_OFFERED', `capture ${this.#record.id} has no offer (the server restarted?); the agent offers again`, { capture: this.#record.id });
    }
    if (!this.#missing.has(hex)) return this.#notMissing(hex);
    try {
      const added = await this.#writer.addFrame(Buffer.from(hex, 'hex'), frame);
      this.#missing.delete(hex);
      const u = this.#record.uploads;
      this.#record = { ...this.#record, uploads: { ...u, blocks: u.blocks + (added.storedBytes > 0 ? 1 : 0), bytes: u.bytes + frame.byteLength } };
      return { stored: added.storedBytes > 0, missing: this.#missing.size };
    } catch (err) {
      if (!hasCode(err, 'RC_ERR_STORE_BLOCK_DAMAGED')) throw err;
      const u = this.#record.uploads;
      this.#record = { ...this.#record, uploads: { ...u, refused: u.refused + 1 } };
      this.#log.warn({ block: hex }, 'capture block refused: content does not match its hash');
      throw new RackcastError('RC_ERR_CAPTURE_BLOCK_MISMATCH',
        `block ${hex} does not decompress to content with that hash; it was not stored. The source disk may be failing or changing under the capture: check it, then capture again`, { block: hex, capture: this.#record.id }, { cause: err });
    }
  }

  /** A block the current offer does not ask for: fine if it was stored already (a retry), refused otherwise. */
  #notMissing(hex: string): UploadReply {
    if (this.#plan?.offered.some((b) => b.hex === hex)) {
      const u = this.#record.uploads;
      this.#record = { ...this.#record, uploads: { ...u, duplicates: u.duplicates + 1 } };
      return { stored: false, missing: this.#missing.size };
    }
    throw new RackcastError('RC_ERR_CAPTURE_BLOCK_UNEXPECTED', `block ${hex} is not part of capture ${this.#record.id}'s offer; only offered blocks are taken`, { block: hex, capture: this.#record.id });
  }

  /** Commits the version once every missing block is in; a second call returns the same version. */
  commit(request: CommitRequest): Promise<VersionRecord> {
    this.#committing ??= this.#commit(request).finally(() => { this.#committing = null; });
    return this.#committing;
  }

  async #commit(request: CommitRequest): Promise<VersionRecord> {
    this.#checkOpen();
    const plan = this.#plan;
    const writer = this.#writer;
    if (plan === null || writer === null) throw new RackcastError('RC_ERR_CAPTURE_NOT_OFFERED', `capture ${this.#record.id} has no offer to commit; the agent offers again`, { capture: this.#record.id });
    if (this.#missing.size > 0) {
      throw new RackcastError('RC_ERR_CAPTURE_INCOMPLETE', `capture ${this.#record.id} still lacks ${this.#missing.size} blocks; the agent uploads them before committing`, { capture: this.#record.id, missing: this.#missing.size });
    }
    const { config, profile } = parseCommit(request);
    // The writer is spent either way (commit releases its holds): a failed commit needs a new offer.
    this.#writer = null;
    this.#plan = null;
    const version = await writer.commit(plan.manifest, {
      source: {
        kind: 'capture', capture: this.#record.id, offer: plan.summary.kind,
        ...(plan.summary.baseVersion !== null ? { baseVersion: plan.summary.baseVersion } : {}),
        ...(this.#record.machine !== null ? { machine: this.#record.machine } : {}),
      },
      createdAt: new Date(config.capturedAt),
      config: config as unknown as JsonValue,
      profile: profile as unknown as JsonValue,
    });
    const job = this.#record.job;
    await this.#update({ state: 'committed', version: version.version, ...(job !== null ? { job: { ...job, stage: 'committed', progress: null } } : {}) });
    this.#log.info({ version: version.version, newBlocks: version.newBlocks, newBytes: version.newBytes }, 'capture committed');
    return version;
  }

  /** Stops the capture; blocks it stored are left for gc. */
  async cancel(): Promise<void> {
    this.#checkOpen();
    this.#close();
    await this.#update({ state: 'cancelled' });
  }

  /** Ends a capture job that failed on its machine: closed like a cancel, with the reason kept. Nothing is committed. */
  async fail(failure: { readonly code: string; readonly message: string }): Promise<void> {
    this.#checkOpen();
    this.#close();
    const job = this.#record.job;
    await this.#update({ state: 'failed', ...(job !== null ? { job: { ...job, stage: 'failed', failure } } : {}) });
    this.#log.warn({ code: failure.code }, 'capture failed');
  }

  /**
   * Records where the capture job's agent is. A stage change (or a new try) is saved; progress
   * within a stage is kept in memory, as upload counters are.
   */
  async jobUpdate(change: Partial<Pick<CaptureJobRecord, 'stage' | 'progress' | 'tries'>>): Promise<void> {
    const job = this.#record.job;
    if (job === null) return;
    const next = { ...job, ...change };
    if (next.stage === job.stage && next.tries === job.tries) {
      this.#record = { ...this.#record, job: next };
      return;
    }
    await this.#update({ job: next });
  }

  #close(): void {
    this.#writer?.abort();
    this.#writer = null;
    this.#plan = null;
    this.#missing.clear();
  }
}

function parseCommit(request: CommitRequest): { config: CapturedConfig; profile: MachineProfile | null } {
  try {
    return { config: parseCapturedConfig(request.config), profile: request.profile === null || request.profile === undefined ? null : parseMachineProfile(request.profile) };
  } catch (err) {
    if (isWireError(err)) throw new RackcastError('RC_ERR_CAPTURE_BAD_OFFER', `the captured configuration or profile is invalid: ${err.message}`, { field: err.field }, { cause: err });
    throw err;
  }
}
