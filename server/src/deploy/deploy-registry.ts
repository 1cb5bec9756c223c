import { EventEmitter } from 'node:events';
import type { DeployStatusMessage, MachineProfile } from '@rackcast/wire';
import { RackcastError } from '../errors.js';
import type { Logger } from '../log.js';
import type { MachineListener, MachineRegistry } from '../machine/index.js';
import type { CreateSessionRequest } from '../session/index.js';
import type { ImageStore, StateArea, VersionRecord, VersionSelector } from '../store/index.js';
import { deployView, isFinished, type DeployRecord, type DeployView, type MemberRecord, type RestoreLink } from './deploy-record.js';
import type { StaticAddressing } from './static-address.js';
import { DEFAULT_HOSTNAME_PATTERN, checkHostnamePattern, expandHostname } from './hostname-pattern.js';
import { readImageFacts, type ImageFacts } from './image-facts.js';
import { applyStatus, failMember, newMember, startTry } from './member-status.js';
import { planRestore, type NicPolicy, type PlanMachine, type PlanResult } from './plan-restore.js';

/** What a technician asks for: an image to these machines, or to the next `count` that boot. */
export interface DeployRequest {
  readonly image: string;
  readonly version: VersionSelector;
  /** Boot MACs, normalised ("52:54:00:12:34:56"); or give `count`. */
  readonly machines?: readonly string[];
  readonly count?: number;
  /** Wire bits per second of the stream; default from config. */
  readonly rateBps?: number;
  /** e.g. "rack1-{n}"; default "{image}-{n}". */
  readonly hostnamePattern?: string;
  readonly nics?: NicPolicy;
  readonly staticAddress?: StaticAddressing | null;
  /** A restore: its member is planned by the restore planner from the version's captured identity. */
  readonly restore?: RestoreLink;
}

/**
 * Plans the member of a restore (restore/ provides it; declared here so deploy/ does not depend
 * on restore/). Called when the member's profile is known, at once or when it first boots.
 */
export interface RestorePlanner {
  planMember(link: RestoreLink, version: VersionRecord, facts: ImageFacts, machine: PlanMachine): Promise<PlanResult>;
}

/** What a deploy needs of the stream sessions (the SessionRegistry; a fake in unit tests). */
export interface DeploySessions {
  create(request: CreateSessionRequest): Promise<{ session: { readonly record: { readonly id: number } }; tokens: string[] }>;
  /** Throws when there is no such session. */
  get(id: number): { releaseToken(token: string): boolean };
}

/** A plan as a dry run shows it. */
export interface PlannedMember {
  readonly mac: string;
  readonly index: number;
  readonly result: PlanResult | null;
  /** Why there is no plan yet, e.g. "no profile: planned when it boots". */
  readonly note: string;
}

export interface DeployRegistryOptions {
  readonly log: Logger;
  /** A member not heard from for this long fails (RC_ERR_DEPLOY_TIMEOUT), e.g. 1800000. */
  readonly memberTimeoutMs?: number;
  /** How often timeouts are checked, e.g. 5000. */
  readonly checkIntervalMs?: number;
}

const DEFAULT_MEMBER_TIMEOUT_MS = 30 * 60_000;
const MAX_MEMBERS = 1000;

/**
 * Deploys: one multicast stream session each, plus its members. Members are the given MACs, or
 * the next `count` machines that boot the agent. A member gets its plan when its profile is
 * known, then the machine job `deploy` (session, receiver token, plan); a reset member gets the
 * same job again and resumes. Done → job `local` (boot from disk); failed → job `wait`, with
 * the reason kept, and the others go on. Records live in the store's LevelDB (`deploy`).
 */
export class DeployRegistry extends EventEmitter<{ update: [number] }> implements MachineListener {
  readonly #store: ImageStore;
  readonly #sessions: DeploySessions;
  readonly #machines: MachineRegistry;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #area: StateArea<DeployRecord>;
  readonly #deploys = new Map<number, DeployRecord>();
  readonly #facts = new Map<number, ImageFacts>();
  readonly #timer: NodeJS.Timeout;
  #writes: Promise<void> = Promise.resolve();
  #restorePlanner: RestorePlanner | null = null;

  private constructor(store: ImageStore, sessions: DeploySessions, machines: MachineRegistry, options: DeployRegistryOptions) {
    super();
    // Every watcher of a session (GET /api/sessions/:id/events) listens: there may be many.
    this.setMaxListeners(0);
    this.#store = store;
    this.#sessions = sessions;
    this.#machines = machines;
    this.#log = options.log;
    this.#timeoutMs = options.memberTimeoutMs ?? DEFAULT_MEMBER_TIMEOUT_MS;
    this.#area = store.stateArea<DeployRecord>('deploy');
    this.#timer = setInterval(() => void this.#checkTimeouts(), options.checkIntervalMs ?? 5000);
    this.#timer.unref();
  }

  /** Loads stored deploys and starts listening to the machines. */
  static async open(store: ImageStore, sessions: DeploySessions, machines: MachineRegistry, options: DeployRegistryOptions): Promise<DeployRegistry> {
    const registry = new DeployRegistry(store, sessions, machines, options);
    for (const record of await registry.#area.values()) registry.#deploys.set(record.sessionId, record);
    machines.listen(registry);
    return registry;
  }

  /** Sets the planner of restore members (the restore registry, wired by main.ts). */
  useRestorePlanner(planner: RestorePlanner): void {
    this.#restorePlanner = planner;
  }

  /** The deploy of a session, or null for a plain stream session. */
  view(sessionId: number): DeployView | null {
    const record = this.#deploys.get(sessionId);
    return record ? deployView(record) : null;
  }

  /** Plans without creating anything: the image's facts and each known machine's plan. */
  async dryRun(request: DeployRequest): Promise<{ facts: ImageFacts; members: PlannedMember[] }> {
    const { facts, pattern } = await this.#prepare(request);
    const members = (request.machines ?? []).map((mac, i): PlannedMember => {
      const profile = this.#machines.profileOf(mac);
      if (profile === null) return { mac, index: i + 1, result: null, note: 'no profile yet: planned when it boots the agent' };
      const hostname = expandHostname(pattern, { n: i + 1, mac, serial: profile.system.serial, image: facts.name });
      return { mac, index: i + 1, result: planRestore(facts, { mac, profile }, { hostname, nics: request.nics ?? 'boot-dhcp', staticAddress: request.staticAddress ?? null, memberIndex: i + 1 }), note: '' };
    });
    return { facts, members };
  }

  /** Creates the session and the members, and sends the jobs to members whose profile is known. */
  async create(request: DeployRequest): Promise<{ sessionId: number; view: DeployView }> {
    const { facts, pattern } = await this.#prepare(request);
    const count = request.machines?.length ?? request.count ?? 0;
    const { session, tokens } = await this.#sessions.create({
      image: facts.name, version: facts.version, expect: count, waitForFirstReceiver: true, ...(request.rateBps !== undefined ? { rateBps: request.rateBps } : {}),
    });
    const at = new Date().toISOString();
    const record: DeployRecord = {
      sessionId: session.record.id, image: facts.name, version: facts.version, createdAt: at, mode: request.machines ? 'machines' : 'count', count,
      hostnamePattern: pattern, nics: request.nics ?? 'boot-dhcp', staticAddress: request.staticAddress ?? null, tokens, members: (request.machines ?? []).map((mac, i) => newMember(mac, i + 1, at)), finishedAt: null,
      ...(request.restore ? { restore: request.restore } : {}),
    };
    this.#deploys.set(record.sessionId, record);
    this.#facts.set(record.sessionId, facts);
    await this.#save(record);
    this.#log.info({ session: record.sessionId, image: facts.name, version: facts.version, members: count, mode: record.mode }, 'deploy created');
    for (const member of record.members) await this.#startMember(record, member, this.#machines.isOnline(member.mac));
    return { sessionId: record.sessionId, view: deployView(record) };
  }

  /** MachineListener: a machine registered. A fresh boot (token) is a member's new try, or takes a count deploy's open slot. */
  async registered(mac: string, how: 'token' | 'credential'): Promise<void> {
    const found = this.#memberOf(mac);
    if (found === null) {
      if (how === 'token') await this.#takeSlot(mac);
      return;
    }
    const { record, member } = found;
    if (how !== 'token') return; // a reconnect: the agent's run goes on
    if (member.state === 'waiting-for-boot') {
      await this.#startMember(record, member, true);
      return;
    }
    // NOTE: a planned member keeps its plan (the one the technician was shown) even if the
    // machine now reports other disks: its agent checks the plan against the disks it finds
    // and refuses, with the reason, rather than the server quietly choosing another disk.
    startTry(member, new Date().toISOString());
    this.#log.info({ session: record.sessionId, mac, state: member.state }, 'deploy member booted; it takes (or resumes) its job');
    await this.#changed(record);
  }

  /** MachineListener: the agent's report of its deploy job. */
  deployStatus(mac: string, message: DeployStatusMessage): void {
    const found = this.#memberOf(mac);
    if (found === null || found.member.jobId !== message.jobId) {
      this.#log.debug({ mac, job: message.jobId }, 'deploy status for no current member ignored');
      return;
    }
    const { record, member } = found;
    const stageBefore = member.state;
    const outcome = applyStatus(member, message, new Date().toISOString());
    if (outcome !== null) void this.#finishMember(record, member);
    else if (stageBefore !== member.state) void this.#changed(record);
    else this.emit('update', record.sessionId);
  }

  /** The operator cancelled the session: every member not finished fails with that reason. */
  async cancel(sessionId: number): Promise<void> {
    const record = this.#deploys.get(sessionId);
    if (record === undefined) return;
    for (const member of record.members.filter((m) => !isFinished(m.state))) {
      failMember(member, { code: 'RC_ERR_DEPLOY_CANCELLED', message: 'the deploy was cancelled by the operator; the disk may hold a partial image' }, new Date().toISOString());
      await this.#finishMember(record, member);
    }
    if (record.finishedAt === null) {
      record.finishedAt = new Date().toISOString();
      await this.#changed(record);
    }
  }

  /** Stops the timeout checks and waits for pending writes. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#writes;
  }

  async #prepare(request: DeployRequest): Promise<{ facts: ImageFacts; pattern: string }> {
    const pattern = request.hostnamePattern ?? DEFAULT_HOSTNAME_PATTERN;
    checkHostnamePattern(pattern);
    const macs = request.machines;
    if ((macs === undefined) === (request.count === undefined)) throw new RackcastError('RC_ERR_BAD_REQUEST', 'name the machines (--machines) or how many (--count), not both');
    const size = macs?.length ?? request.count ?? 0;
    if (size < 1 || size > MAX_MEMBERS) throw new RackcastError('RC_ERR_BAD_REQUEST', `a deploy has 1 to ${MAX_MEMBERS} machines, not ${size}`);
    if (macs && new Set(macs).size !== macs.length) throw new RackcastError('RC_ERR_BAD_REQUEST', 'a machine is named twice');
    for (const mac of macs ?? []) {
      const busy = this.#memberOf(mac);
      if (busy) throw new RackcastError('RC_ERR_DEPLOY_BUSY', `${mac} is in deploy session ${busy.record.sessionId} (${busy.member.state}); wait for it or cancel that session`);
    }
    const version = await this.#store.resolveVersion(request.image, request.version);
    return { facts: await readImageFacts(this.#store, version), pattern };
  }

  async #factsOf(record: DeployRecord): Promise<ImageFacts> {
    const cached = this.#facts.get(record.sessionId);
    if (cached) return cached;
    const facts = await readImageFacts(this.#store, await this.#store.resolveVersion(record.image, record.version));
    this.#facts.set(record.sessionId, facts);
    return facts;
  }

  /** Plans a member from its machine's profile and sends the job; a refusal fails the member. */
  async #startMember(record: DeployRecord, member: MemberRecord, booted: boolean): Promise<void> {
    const profile = this.#machines.profileOf(member.mac);
    const at = new Date().toISOString();
    if (profile === null) {
      // Not seen yet (or never registered): make sure its next network boot starts the agent.
      if (this.#machines.jobOf(member.mac)?.action !== 'wait') await this.#machines.setJob(member.mac, 'wait');
      await this.#changed(record);
      return;
    }
    const { result, hostname } = await this.#planMember(record, member, profile);
    member.hostname = hostname;
    if (!result.ok) {
      failMember(member, result.refusal, at);
      this.#log.warn({ session: record.sessionId, mac: member.mac, code: result.refusal.code }, 'deploy member refused by the planner');
      await this.#finishMember(record, member);
      return;
    }
    member.plan = result.plan;
    member.reasons = [...result.reasons];
    member.state = 'planned';
    const token = record.tokens[member.index - 1] as string;
    const machine = await this.#machines.setJob(member.mac, { action: 'deploy', deploy: { sessionId: record.sessionId, token, plan: result.plan } });
    member.jobId = machine.job.id;
    if (booted) startTry(member, at);
    else member.updatedAt = at;
    await this.#changed(record);
  }

  /** A clone's plan from the hostname pattern, or a restore's from the restore planner. */
  async #planMember(record: DeployRecord, member: MemberRecord, profile: MachineProfile): Promise<{ result: PlanResult; hostname: string | null }> {
    const facts = await this.#factsOf(record);
    const machine = { mac: member.mac, profile };
    if (record.restore !== undefined) {
      const result: PlanResult = this.#restorePlanner === null
        ? { ok: false, refusal: { code: 'RC_ERR_RESTORE_REFUSED', message: 'this server has no restore planner; start the restore again' } }
        : await this.#restorePlanner.planMember(record.restore, await this.#store.resolveVersion(record.image, record.version), facts, machine);
      return { result, hostname: result.ok ? result.plan.personalise.hostname : null };
    }
    const hostname = expandHostname(record.hostnamePattern, { n: member.index, mac: member.mac, serial: profile.system.serial, image: record.image });
    return { result: planRestore(facts, machine, { hostname, nics: record.nics, staticAddress: record.staticAddress ?? null, memberIndex: member.index }), hostname };
  }

  /** A count deploy's open slot goes to a machine that just booted and has nothing else to do. */
  async #takeSlot(mac: string): Promise<void> {
    if (this.#machines.jobOf(mac)?.action !== 'wait') return;
    const record = [...this.#deploys.values()].find((d) => d.mode === 'count' && d.finishedAt === null && d.members.length < d.count);
    if (record === undefined) return;
    const member = newMember(mac, record.members.length + 1, new Date().toISOString());
    record.members.push(member);
    this.#log.info({ session: record.sessionId, mac, index: member.index }, 'machine joined a deploy');
    await this.#startMember(record, member, true);
  }

  /** After done or failed: the machine's next job, the token, and the deploy's end. */
  async #finishMember(record: DeployRecord, member: MemberRecord): Promise<void> {
    const job = this.#machines.jobOf(member.mac);
    const ours = job?.action === 'deploy' && job.id === member.jobId;
    if (member.state === 'done') {
      this.#log.info({ session: record.sessionId, mac: member.mac }, 'deploy member done');
      if (ours) await this.#machines.setJob(member.mac, 'local');
    } else {
      this.#log.warn({ session: record.sessionId, mac: member.mac, code: member.failure?.code }, 'deploy member failed');
      if (ours) await this.#machines.setJob(member.mac, 'wait');
      const token = record.tokens[member.index - 1];
      if (token !== undefined) this.#sessionOf(record)?.releaseToken(token);
    }
    if (record.finishedAt === null && record.members.length === record.count && record.members.every((m) => isFinished(m.state))) {
      record.finishedAt = new Date().toISOString();
      this.#log.info({ session: record.sessionId, ...deployView(record) }, 'deploy finished');
    }
    await this.#changed(record);
  }

  async #checkTimeouts(): Promise<void> {
    const now = Date.now();
    for (const record of this.#deploys.values()) {
      if (record.finishedAt !== null) continue;
      for (const member of record.members) {
        if (isFinished(member.state) || now - Date.parse(member.updatedAt) < this.#timeoutMs) continue;
        const minutes = Math.round(this.#timeoutMs / 60_000);
        failMember(member, { code: 'RC_ERR_DEPLOY_TIMEOUT', message: `no word from the machine for ${minutes} min while ${member.state}; power-cycle it to retry, or check its console` }, new Date(now).toISOString());
        await this.#finishMember(record, member);
      }
    }
  }

  #sessionOf(record: DeployRecord) {
    try {
      return this.#sessions.get(record.sessionId);
    } catch {
      return null;
    }
  }

  /** The unfinished deploy member this MAC is (a machine is in one running deploy at most). */
  #memberOf(mac: string): { record: DeployRecord; member: MemberRecord } | null {
    for (const record of this.#deploys.values()) {
      if (record.finishedAt !== null) continue;
      const member = record.members.find((m) => m.mac === mac && !isFinished(m.state));
      if (member) return { record, member };
    }
    return null;
  }

  async #changed(record: DeployRecord): Promise<void> {
    this.emit('update', record.sessionId);
    await this.#save(record);
  }

  /** Writes a snapshot after every earlier write, so the last change wins on disk. */
  #save(record: DeployRecord): Promise<void> {
    const snapshot = structuredClone(record);
    const write = this.#writes.then(() => this.#area.put(String(record.sessionId), snapshot));
    this.#writes = write.catch((err: unknown) => this.#log.error({ session: record.sessionId, err }, 'deploy record not saved'));
    return write;
  }
}
