import type { DeployFailure, DeployPlan, DeployProgress, DeployStage } from '@rackcast/wire';
import type { NicPolicy } from './plan-restore.js';
import type { StaticAddressing } from './static-address.js';

/** Where a member is: waiting for its machine to boot the agent, then the agent's stages. */
export type MemberState = 'waiting-for-boot' | DeployStage;

/** One try of a member: a run of its agent on the deploy job (a reset machine starts another). */
export interface MemberTry {
  readonly n: number;
  readonly startedAt: string;
  /** Blocks found already on the disk (verified) when the try began. */
  resumedBlocks: number;
  /** Blocks the try received over the network (multicast or backfill). */
  fetchedBlocks: number;
  endedAt: string | null;
  /** The stage the try ended in ("done", "failed"), or null while it runs or when it was cut off. */
  outcome: DeployStage | null;
}

/** One machine of a deploy, as persisted. */
export interface MemberRecord {
  readonly mac: string;
  /** 1-based position in the deploy ({n} of the hostname pattern). */
  readonly index: number;
  state: MemberState;
  hostname: string | null;
  /** Id of the machine job carrying this member's deploy; null before it is set. */
  jobId: number | null;
  plan: DeployPlan | null;
  /** Why the plan chose what it chose. */
  reasons: string[];
  progress: DeployProgress | null;
  failure: DeployFailure | null;
  tries: MemberTry[];
  /** Last word from the member (or change made for it), for the timeout. */
  updatedAt: string;
}

/** Ties a deploy to the restore it carries out (restore/): the restore's id and source machine. */
export interface RestoreLink {
  readonly id: number;
  /** The machine whose captured identity is restored, e.g. "52:54:00:12:34:56" or "web-07". */
  readonly source: string;
}

/** A deploy: one stream session and its members, persisted in the store's LevelDB. */
export interface DeployRecord {
  readonly sessionId: number;
  readonly image: string;
  readonly version: number;
  readonly createdAt: string;
  /** "machines": the given MACs; "count": the next `count` machines that boot. */
  readonly mode: 'machines' | 'count';
  readonly count: number;
  readonly hostnamePattern: string;
  readonly nics: NicPolicy;
  /** Static addresses for the members' boot NICs; absent or null: DHCP. */
  readonly staticAddress?: StaticAddressing | null;
  /** Receiver tokens of the session, one per member slot (member index - 1): secrets, never shown. */
  readonly tokens: readonly string[];
  members: MemberRecord[];
  finishedAt: string | null;
  /** Set when the deploy is a restore (one member, planned from the captured identity). */
  readonly restore?: RestoreLink;
}

/** What the API and the watchers see of a member (no token). */
export interface MemberView {
  readonly mac: string;
  readonly index: number;
  readonly hostname: string | null;
  readonly state: MemberState;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Bytes per second of the current stage's work. */
  readonly rate: number;
  readonly etaSeconds: number | null;
  readonly repairs: number;
  readonly failure: DeployFailure | null;
  readonly tries: readonly MemberTry[];
  readonly plan: DeployPlan | null;
  readonly reasons: readonly string[];
}

/** A deploy as shown under its session. */
export interface DeployView {
  readonly mode: 'machines' | 'count';
  readonly count: number;
  readonly hostnamePattern: string;
  /** "running" until every member slot is done or failed. */
  readonly state: 'running' | 'complete';
  readonly done: number;
  readonly failed: number;
  /** Member slots of a count deploy that no machine has taken yet. */
  readonly open: number;
  readonly members: readonly MemberView[];
  readonly finishedAt: string | null;
}

export function isFinished(state: MemberState): boolean {
  return state === 'done' || state === 'failed';
}

export function memberView(m: MemberRecord): MemberView {
  const p = m.progress;
  return {
    mac: m.mac, index: m.index, hostname: m.hostname, state: m.state,
    bytesDone: p?.bytesDone ?? 0, bytesTotal: p?.bytesTotal ?? m.plan?.image.usedEndBytes ?? 0,
    rate: isFinished(m.state) ? 0 : p?.rate ?? 0, etaSeconds: isFinished(m.state) ? null : p?.etaSeconds ?? null, repairs: p?.repairs ?? 0,
    failure: m.failure, tries: structuredClone(m.tries), plan: m.plan, reasons: [...m.reasons],
  };
}

export function deployView(d: DeployRecord): DeployView {
  const done = d.members.filter((m) => m.state === 'done').length;
  const failed = d.members.filter((m) => m.state === 'failed').length;
  const open = Math.max(0, d.count - d.members.length);
  return {
    mode: d.mode, count: d.count, hostnamePattern: d.hostnamePattern, state: done + failed === d.count ? 'complete' : 'running',
    done, failed, open, members: d.members.map(memberView), finishedAt: d.finishedAt,
  };
}
