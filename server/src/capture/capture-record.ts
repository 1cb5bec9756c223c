import type { CaptureProgress, CaptureStage } from '@rackcast/wire';

/**
 * Where a capture is: waiting for its agent's offer, receiving blocks, or over (committed,
 * cancelled by the technician, or failed: its capture job's agent reported a failure).
 */
export type CaptureState = 'waiting' | 'uploading' | 'committed' | 'cancelled' | 'failed';

/** A capture run as a machine job (`rackcast capture <machine>`): where the machine's agent is. */
export interface CaptureJobRecord {
  /** The disk the job names (serial, WWN or kernel name); "" = the machine's only fixed disk. */
  readonly disk: string;
  /** "queued" until the agent reports; then its stage (mapping, hashing, uploading, committing, committed, failed). */
  readonly stage: 'queued' | CaptureStage;
  /** Bytes of the current stage, as the agent last reported. */
  readonly progress: CaptureProgress | null;
  /** Boots of the machine that took the job: a machine reset mid-capture takes it again. */
  readonly tries: number;
  /** Why the job failed (the agent's code and message, or the server's). */
  readonly failure: { readonly code: string; readonly message: string } | null;
}

/** What the agent's last offer held, as the server evaluated it. */
export interface OfferSummary {
  /** "full": the whole manifest; "delta": changed blocks plus references to `baseVersion`. */
  readonly kind: 'full' | 'delta';
  readonly baseVersion: number | null;
  /** Blocks of the version the offer describes, e.g. 160. */
  readonly blocks: number;
  /** Blocks the offer names by hash (every block for a full offer, the new ones for a delta). */
  readonly offered: number;
  /** Distinct blocks the store lacked when the offer arrived: what the agent uploads. */
  readonly missing: number;
  /** Base blocks the delta referenced, and base blocks it left out (no longer used). */
  readonly reused: number;
  readonly dropped: number;
}

/** One capture as the server keeps it (state area "capture"). */
export interface CaptureRecord {
  readonly id: number;
  /** The image the version is added to, e.g. "web-07". */
  readonly image: string;
  /** The machine to capture (MAC), when the technician named one. */
  readonly machine: string | null;
  /** SHA-256 of the capture token, hex: the token itself is never stored. */
  readonly tokenHash: string;
  readonly state: CaptureState;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly offer: OfferSummary | null;
  /** Block frames received and stored (re-sent duplicates count in `duplicates`, forged ones in `refused`). */
  readonly uploads: { readonly blocks: number; readonly bytes: number; readonly duplicates: number; readonly refused: number };
  /** Protocol bytes besides the blocks: offers received (every attempt) and fingerprints sent. */
  readonly wire: { readonly offers: number; readonly offerBytes: number; readonly fingerprintBytes: number };
  /** The version the capture committed; null until then. */
  readonly version: number | null;
  /** Set when the capture runs as a machine job; null for a capture started by hand. */
  readonly job: CaptureJobRecord | null;
}

/** A capture as the API shows it: the record without its token hash. */
export type CaptureView = Omit<CaptureRecord, 'tokenHash'>;

export function captureView(record: CaptureRecord): CaptureView {
  const { tokenHash: _tokenHash, ...view } = record;
  return view;
}
