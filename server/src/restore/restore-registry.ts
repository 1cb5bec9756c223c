import { RackcastError } from '../errors.js';
import type { Logger } from '../log.js';
import { readImageFacts, type DeployRegistry, type ImageFacts, type PlanMachine, type PlanResult, type RestoreLink, type RestorePlanner } from '../deploy/index.js';
import { normaliseMac, type MachineRegistry } from '../machine/index.js';
import type { ImageStore, StateArea, VersionRecord } from '../store/index.js';
import { configOf, describeMachine, isCaptureOf, pickRestorePoint, profileOf, type MachineRef, type RestorePoint } from './machine-versions.js';
import { planRecovery } from './plan-recovery.js';
import { NOT_SEEN_NOTE, type RestoreRecord, type RestoreView } from './restore-record.js';

/** What a technician asks for: bring this machine back (onto itself or a replacement). */
export interface RestoreRequest {
  /** The source machine: its boot MAC or captured host name. */
  readonly machine: string;
  /** Default: the image its latest capture went to. */
  readonly image?: string;
  readonly point: RestorePoint;
  /** The target's boot MAC; default the machine itself. */
  readonly onto?: string;
  /** Wire bits per second of the stream; default from config. */
  readonly rateBps?: number;
}

/** A resolved request: which version, from where, onto what. */
interface Resolved {
  readonly machine: MachineRef;
  readonly version: VersionRecord;
  readonly target: string;
}

const MAC_TEXT = /^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

function machineRef(text: string): MachineRef {
  if (MAC_TEXT.test(text)) return { mac: normaliseMac(text) };
  const hostname = text.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9.-]{0,252}$/.test(hostname)) throw new RackcastError('RC_ERR_BAD_REQUEST', `"${text.slice(0, 40)}" is neither a MAC address nor a host name`);
  return { hostname };
}

/**
 * One-touch recovery (docs/restore.md): finds the machine's captured version for a point in
 * time, compares the source profile with the target's, plans the restore with the captured
 * identity, and carries it out as a one-member deploy. A target that has not booted here yet
 * is planned when it registers. Records live in the store's LevelDB (`restore`).
 */
export class RestoreRegistry implements RestorePlanner {
  readonly #store: ImageStore;
  readonly #machines: MachineRegistry;
  readonly #deploys: DeployRegistry;
  readonly #log: Logger;
  readonly #area: StateArea<RestoreRecord>;
  readonly #records = new Map<number, RestoreRecord>();
  #nextId = 1;

  private constructor(store: ImageStore, machines: MachineRegistry, deploys: DeployRegistry, log: Logger) {
    this.#store = store;
    this.#machines = machines;
    this.#deploys = deploys;
    this.#log = log;
    this.#area = store.stateArea<RestoreRecord>('restore');
  }

  /** Loads the stored restores and becomes the deploy registry's restore planner. */
  static async open(store: ImageStore, machines: MachineRegistry, deploys: DeployRegistry, log: Logger): Promise<RestoreRegistry> {
    const registry = new RestoreRegistry(store, machines, deploys, log);
    for (const record of await registry.#area.values()) {
      if (record.id === null) continue;
      registry.#records.set(record.id, record);
      registry.#nextId = Math.max(registry.#nextId, record.id + 1);
    }
    deploys.useRestorePlanner(registry);
    return registry;
  }

  /** The plan and the profile diff, without starting anything. */
  async dryRun(request: RestoreRequest): Promise<RestoreView> {
    const resolved = await this.#resolve(request);
    const record = await this.#plan(this.#newRecord(null, resolved), resolved.version);
    return { ...record, dryRun: true, member: null };
  }

  /** Starts the restore: refused before anything is sent when the plan is refused. */
  async start(request: RestoreRequest): Promise<RestoreView> {
    const resolved = await this.#resolve(request);
    const id = this.#nextId++;
    const record = await this.#plan(this.#newRecord(id, resolved), resolved.version);
    if (record.refused !== null) {
      throw new RackcastError('RC_ERR_RESTORE_REFUSED', `restore of ${record.source.hostname || record.source.machine} onto ${record.target.mac} refused: ${record.refused.message}`, { code: record.refused.code });
    }
    this.#records.set(id, record);
    await this.#area.put(String(id), record);
    const link: RestoreLink = { id, source: record.source.machine };
    try {
      const { sessionId } = await this.#deploys.create({
        image: record.image, version: record.version, machines: [record.target.mac], restore: link,
        ...(request.rateBps !== undefined ? { rateBps: request.rateBps } : {}),
      });
      record.session = sessionId;
    } catch (err) {
      this.#records.delete(id);
      await this.#area.del(String(id));
      throw err;
    }
    await this.#area.put(String(id), record);
    this.#log.info({ restore: id, session: record.session, image: record.image, version: record.version, source: record.source.machine, target: record.target.mac }, 'restore started');
    return this.view(id);
  }

  list(): RestoreView[] {
    return [...this.#records.keys()].sort((a, b) => a - b).map((id) => this.view(id));
  }

  view(id: number): RestoreView {
    const record = this.#records.get(id);
    if (record === undefined) throw new RackcastError('RC_ERR_RESTORE_NOT_FOUND', `no restore ${id}; list them with GET /api/restores`, { id });
    const deploy = record.session === null ? null : this.#deploys.view(record.session);
    return { ...structuredClone(record), dryRun: false, member: deploy?.members[0] ?? null };
  }

  /** RestorePlanner: the target registered (or was known at start); plan it now and keep the diff shown. */
  async planMember(link: RestoreLink, version: VersionRecord, facts: ImageFacts, machine: PlanMachine): Promise<PlanResult> {
    const config = configOf(version);
    if (config === null) return { ok: false, refusal: { code: 'RC_ERR_RESTORE_REFUSED', message: `${version.image}@${version.version} carries no captured configuration` } };
    const recovery = planRecovery(facts, { config, profile: profileOf(version), bootMac: version.source.machine ?? '' }, machine);
    const record = this.#records.get(link.id);
    if (record !== undefined) {
      // Planned during start (the target was known) or later, when it booted the agent.
      this.#apply(record, recovery, record.session !== null);
      await this.#area.put(String(link.id), record);
    }
    return recovery.result;
  }

  async #resolve(request: RestoreRequest): Promise<Resolved> {
    const machine = machineRef(request.machine);
    const image = request.image ?? (await this.#latestImageOf(machine));
    const captures = (await this.#store.listVersions(image)).filter((v) => isCaptureOf(v, machine));
    if (captures.length === 0) {
      throw new RackcastError('RC_ERR_RESTORE_NO_VERSION', `no version of ${image} was captured from ${describeMachine(machine)}; to put ${image} onto it, use \`rackcast deploy\``, { image });
    }
    const version = pickRestorePoint(image, captures, request.point, machine);
    if (configOf(version) === null) {
      throw new RackcastError('RC_ERR_RESTORE_NO_CONFIG', `${image}@${version.version} carries no captured configuration (host name, addresses): it cannot be restored without input; deploy it instead`, { image, version: version.version });
    }
    const target = request.onto !== undefined ? normaliseMac(request.onto) : 'mac' in machine ? machine.mac : version.source.machine;
    if (target === undefined || target === '') {
      throw new RackcastError('RC_ERR_BAD_REQUEST', `the capture of ${describeMachine(machine)} names no MAC to restore onto; give the target with --onto <MAC>`);
    }
    return { machine, version, target };
  }

  /** The image the machine's newest capture went to. */
  async #latestImageOf(machine: MachineRef): Promise<string> {
    let latest: VersionRecord | null = null;
    for (const image of await this.#store.listImages()) {
      for (const v of await this.#store.listVersions(image.name)) {
        if (isCaptureOf(v, machine) && (latest === null || Date.parse(v.createdAt) > Date.parse(latest.createdAt))) latest = v;
      }
    }
    if (latest === null) {
      throw new RackcastError('RC_ERR_RESTORE_NO_VERSION', `no capture of ${describeMachine(machine)} is in the store; capture it first (rackcast capture start --machine …) or name the image with --image`);
    }
    return latest.image;
  }

  #newRecord(id: number | null, r: Resolved): RestoreRecord {
    const config = configOf(r.version);
    return {
      id, session: null, createdAt: new Date().toISOString(), image: r.version.image, version: r.version.version, capturedAt: r.version.createdAt,
      source: { machine: describeMachine(r.machine), mac: r.version.source.machine ?? '', hostname: config?.hostname ?? '' },
      target: { mac: r.target, seen: false }, diff: [], nicMap: [], bootModes: [], plan: null, reasons: [], refused: null, note: NOT_SEEN_NOTE, plannedAt: null,
    };
  }

  /** Plans the record now if the target's profile is known; else it says when it will be. */
  async #plan(record: RestoreRecord, version: VersionRecord): Promise<RestoreRecord> {
    const profile = this.#machines.profileOf(record.target.mac);
    if (profile === null) return record;
    const config = configOf(version);
    if (config === null) return record;
    const facts = await readImageFacts(this.#store, version);
    this.#apply(record, planRecovery(facts, { config, profile: profileOf(version), bootMac: version.source.machine ?? '' }, { mac: record.target.mac, profile }), false);
    return record;
  }

  #apply(record: RestoreRecord, recovery: ReturnType<typeof planRecovery>, atBoot: boolean): void {
    record.target.seen = true;
    record.diff = [...recovery.diff];
    record.nicMap = [...recovery.nicMap];
    record.bootModes = [...recovery.bootModes];
    record.plan = recovery.result.ok ? recovery.result.plan : null;
    record.reasons = recovery.result.ok ? [...recovery.result.reasons] : [];
    record.refused = recovery.result.ok ? null : recovery.result.refusal;
    record.note = atBoot ? 'planned when the target booted the agent' : '';
    record.plannedAt = new Date().toISOString();
  }
}
