import type { DeployPlan } from '@rackcast/wire';
import type { MemberView, PlanRefusal } from '../deploy/index.js';
import type { BootMode } from './boot-modes.js';
import type { NicMapping } from './nic-map.js';
import type { ProfileDifference } from './profile-diff.js';

/** A restore as kept in the store's LevelDB (`restore`), and as the API shows it (with its member). */
export interface RestoreRecord {
  /** null in a dry run's answer: nothing was kept. */
  readonly id: number | null;
  /** The deploy session carrying it out; null in a dry run. */
  session: number | null;
  readonly createdAt: string;
  readonly image: string;
  readonly version: number;
  /** The point in time restored: the version's time (the capture's start). */
  readonly capturedAt: string;
  readonly source: {
    /** As the technician named it: a MAC or a host name. */
    readonly machine: string;
    /** The MAC the capture named; '' when it named none. */
    readonly mac: string;
    /** The captured host name, e.g. "web-07". */
    readonly hostname: string;
  };
  readonly target: {
    readonly mac: string;
    /** False when the target has not booted the agent here yet: planned when it does. */
    seen: boolean;
  };
  /** Empty until the target's profile is known. */
  diff: ProfileDifference[];
  nicMap: NicMapping[];
  bootModes: BootMode[];
  plan: DeployPlan | null;
  /** Why the plan chose what it chose. */
  reasons: string[];
  refused: PlanRefusal | null;
  /** e.g. "target not seen yet: planned when it boots"; '' when planned. */
  note: string;
  /** When the plan (and diff) was made; null before. */
  plannedAt: string | null;
}

/** What GET /api/restores(/:id) answers: the record with its deploy member's progress. */
export interface RestoreView extends RestoreRecord {
  readonly dryRun: boolean;
  /** The target's deploy member (state, bytes, failure); null in a dry run. */
  readonly member: MemberView | null;
}

export const NOT_SEEN_NOTE = 'target not seen yet: planned when it boots the agent';
