/** Phases of a stream session (docs/blockstream-protocol.md). */
export type SessionPhase = 'waiting' | 'transfer' | 'complete' | 'cancelled';

/** What a receiver is doing, as it reports and as the sender judges it. */
export type ReceiverStateName = 'registered' | 'receiving' | 'backfill' | 'done' | 'failed' | 'lost';

import type { ReceiverProgress } from '@rackcast/wire';

export type { ReceiverProgress };

/** One receiver of a session, as persisted. */
export interface ReceiverRecord {
  readonly id: string;
  readonly token: string;
  state: ReceiverStateName;
  /** Base64 bitmap of blocks the receiver wrote and verified: its journal. */
  completed: string;
  straggler: boolean;
  /** The reason when failed or lost. */
  failure: { code: string; message: string } | null;
  progress: ReceiverProgress | null;
  /** Sealed blocks served to it over HTTP. */
  backfilledBlocks: number;
  registrations: number;
  lastSeen: string | null;
}

/** A session as persisted in the store's LevelDB, so it survives a server restart. */
export interface SessionRecord {
  readonly id: number;
  readonly image: string;
  readonly version: number;
  readonly blockCount: number;
  readonly bytesTotal: number;
  /** Base64 AES-256 key; never sent over multicast. */
  readonly key: string;
  readonly group: string;
  readonly port: number;
  readonly interfaceAddress: string;
  readonly ttl: number;
  readonly datagramSize: number;
  readonly rateBps: number;
  /** Receivers to wait for before streaming; lowered when a deploy member drops out before registering. */
  expect: number;
  /**
   * Deploys: wait for the first receiver as long as it takes (machines take minutes to boot;
   * deploy members time out on their own), and count the start timeout from then.
   */
  readonly waitForFirstReceiver?: boolean;
  readonly createdAt: string;
  phase: SessionPhase;
  pass: number;
  /** Tokens issued and not yet used by a receiver. */
  tokens: string[];
  receivers: ReceiverRecord[];
  /** DATA datagrams sent, over all passes and sender restarts. */
  fragmentsSent: number;
  /** Fragments re-sent: in repair passes, and in-pass repairs of any pass. */
  repairFragments: number;
  /** Of those, in-pass repairs (asked for while a pass ran); absent in records saved before they existed. */
  inPassRepairFragments?: number;
  finishedAt: string | null;
}
