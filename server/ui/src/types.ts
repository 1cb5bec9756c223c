/**
 * What the dashboard reads of the server's answers and events. The machine profile and the
 * deploy plan are wire types of @rackcast/wire (type-only imports: no code of it reaches the
 * bundle); the server's own views are declared here with only the fields the UI shows, as the
 * README's API table and docs/dashboard.md describe them.
 */
import type { DeployPlan, DiskIdentity, DiskProfile, MachineProfile, NicProfile } from '@rackcast/wire';

export type { DeployPlan, DiskIdentity, DiskProfile, MachineProfile, NicProfile };

export interface MachineEvent {
  readonly at: string;
  readonly event: string;
  readonly detail: string;
}

/** One line of the machine table (events socket, `machines`). */
export interface MachineRow {
  readonly mac: string;
  readonly state: string;
  readonly online: boolean;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly model: string;
  readonly serial: string;
  readonly firmware: string;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly disks: readonly number[];
  readonly job: string;
  readonly jobSession: number | null;
  readonly lastEvent: MachineEvent | null;
}

/** GET /api/machines/:mac → {machine}. */
export interface MachineDetail {
  readonly mac: string;
  readonly state: string;
  readonly online: boolean;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly profile: MachineProfile | null;
  readonly profileAt: string | null;
  readonly agentVersion: string | null;
  readonly job: { readonly id: number; readonly action: string; readonly setAt: string; readonly deploy?: { readonly sessionId: number } };
  readonly lastBoot: { readonly at: string; readonly platform: string; readonly buildarch: string } | null;
  readonly events: readonly MachineEvent[];
}

export interface VersionView {
  readonly image: string;
  readonly version: number;
  readonly createdAt: string;
  readonly blockSize: number;
  readonly diskSize: number;
  readonly blockCount: number;
  readonly usedBytes: number;
  readonly newBlocks: number;
  readonly newBytes: number;
  readonly newStoredBytes: number;
  /** `machine` (a MAC) is set on versions captured from a machine. */
  readonly source: { readonly kind: string; readonly file?: string; readonly format?: string; readonly baseVersion?: number; readonly machine?: string };
}

export interface ImageView {
  readonly name: string;
  readonly createdAt: string;
  readonly versionCount: number;
  readonly latest: VersionView | null;
}

export interface Failure {
  readonly code: string;
  readonly message: string;
}

export interface ReceiverView {
  readonly id: string;
  readonly state: string;
  readonly straggler: boolean;
  readonly failure: Failure | null;
  readonly progress: { readonly bytesDone: number; readonly bytesTotal: number; readonly rate: number; readonly etaSeconds: number | null; readonly repairs: number } | null;
  readonly registrations: number;
}

export interface MemberView {
  readonly mac: string;
  readonly index: number;
  readonly hostname: string | null;
  readonly state: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly rate: number;
  readonly etaSeconds: number | null;
  readonly repairs: number;
  readonly failure: Failure | null;
  readonly tries: readonly { readonly n: number; readonly resumedBlocks: number; readonly fetchedBlocks: number; readonly outcome: string | null }[];
}

export interface DeployView {
  readonly mode: 'machines' | 'count';
  readonly count: number;
  readonly hostnamePattern: string;
  readonly state: 'running' | 'complete';
  readonly done: number;
  readonly failed: number;
  readonly open: number;
  readonly members: readonly MemberView[];
  readonly finishedAt: string | null;
}

export interface SessionView {
  readonly id: number;
  readonly image: string;
  readonly version: number;
  readonly blockCount: number;
  readonly bytesTotal: number;
  readonly group: string;
  readonly port: number;
  readonly rateBps: number;
  readonly expect: number;
  readonly createdAt: string;
  readonly phase: string;
  readonly pass: number;
  readonly finishedAt: string | null;
  readonly receivers: readonly ReceiverView[];
  readonly deploy: DeployView | null;
}

export interface FactPartition {
  readonly number: number;
  readonly startBytes: number;
  readonly sizeBytes: number;
  readonly filesystem: string;
  readonly label: string;
  readonly name: string;
}

export interface ImageFacts {
  readonly name: string;
  readonly version: number;
  readonly diskBytes: number;
  readonly usedEndBytes: number;
  readonly table: string;
  readonly partitions: readonly FactPartition[];
  readonly notes: readonly string[];
}

export type PlanResult =
  | { readonly ok: true; readonly plan: DeployPlan; readonly reasons: readonly string[] }
  | { readonly ok: false; readonly refusal: Failure };

/** POST /api/deploys with dryRun. */
export interface DryRunAnswer {
  readonly facts: ImageFacts;
  readonly members: readonly { readonly mac: string; readonly index: number; readonly result: PlanResult | null; readonly note: string }[];
}

/** One difference between the captured machine and the restore's target (server restore/profile-diff.ts). */
export interface RestoreDifference {
  readonly area: string;
  /** info: nothing to do; adapt: the restore changes the restored system; refuse: it cannot start. */
  readonly severity: 'info' | 'adapt' | 'refuse';
  readonly source: string;
  readonly target: string;
  readonly message: string;
}

/** Which target NIC takes a captured interface's settings (server restore/nic-map.ts). */
export interface NicMapping {
  readonly interface: string;
  readonly source: string;
  readonly sourceMac: string;
  readonly targetMac: string | null;
  readonly match: string;
  readonly mode: 'dhcp' | 'static';
  readonly address: string;
  readonly gateway: string;
  readonly dns: readonly string[];
  readonly note: string;
}

/** POST /api/restores → {restore}: the dry run's plan, or the started restore (server restore/restore-record.ts). */
export interface RestoreView {
  /** null in a dry run. */
  readonly id: number | null;
  /** The deploy session carrying it out; null in a dry run. */
  readonly session: number | null;
  readonly image: string;
  readonly version: number;
  /** The point in time restored (the capture's start). */
  readonly capturedAt: string;
  readonly source: { readonly machine: string; readonly mac: string; readonly hostname: string };
  /** `seen` is false when the target has not booted the agent yet: planned when it does. */
  readonly target: { readonly mac: string; readonly seen: boolean };
  readonly diff: readonly RestoreDifference[];
  readonly nicMap: readonly NicMapping[];
  readonly plan: DeployPlan | null;
  readonly reasons: readonly string[];
  readonly refused: Failure | null;
  /** e.g. "target not seen yet: planned when it boots the agent"; '' when planned. */
  readonly note: string;
}

/** Accounts and tokens (admin): GET /api/users, /api/tokens. */
export interface UserView {
  readonly name: string;
  readonly role: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly createdBy: string;
  readonly createdAt: string;
}

/** GET /api/audit → {entries}. */
export interface AuditEntry {
  readonly at: string;
  readonly actor: string;
  readonly via: string;
  readonly role: string | null;
  readonly action: string;
  readonly target: string;
  readonly status: number;
  readonly ip: string;
}
