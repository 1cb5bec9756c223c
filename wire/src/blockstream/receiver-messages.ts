/**
 * The JSON messages of a receiver's control channel (docs/blockstream-protocol.md, "Control
 * channel"). Both sides use these types; the server validates what arrives before use.
 */

/** A receiver's live progress, sent 4 times a second. */
export interface ReceiverProgress {
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Bytes per second written. */
  readonly rate: number;
  readonly etaSeconds: number | null;
  /** Blocks received by repair (later passes or backfill). */
  readonly repairs: number;
  readonly authFailures: number;
  readonly overruns: number;
  readonly lossRate: number;
}

/** Receiver → server. NAK reports travel as binary messages (nak-report.ts). */
export type ReceiverMessage =
  | ({ readonly type: 'progress'; readonly state: 'receiving' | 'backfill'; readonly completed: readonly (readonly [number, number])[] } & ReceiverProgress)
  | { readonly type: 'done' }
  | { readonly type: 'fail'; readonly code: string; readonly message: string };

/** Server → receiver. */
export type ServerMessage =
  | { readonly type: 'backfill' }
  | { readonly type: 'cancel'; readonly reason: string };
