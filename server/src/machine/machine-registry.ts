import type {
  AgentRegistration, AgentRegistrationReply, CaptureStatusMessage, DeployStatusMessage, MachineAgentMessage, MachineJobAction, MachineServerMessage,
} from '@rackcast/wire';
import { RackcastError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StateArea } from '../store/index.js';
import { bootTargetFor, type BootTarget, type UnknownMachinePolicy } from './boot-decision.js';
import {
  MAX_EVENTS, MAX_TOKENS, describeJob, jobMessage, machineSummary, storedJob,
  type BootInfo, type JobRequest, type MachineRecord, type MachineState, type MachineSummary,
} from './machine-record.js';
import { hashSecret, newSecret } from './machine-secret.js';

/** Where the registry keeps its records (the image store's LevelDB). */
export interface MachineStateStore {
  stateArea<V>(name: string): StateArea<V>;
}

export interface MachineRegistryOptions {
  /** boot.unknownMachines, e.g. "register". */
  readonly unknownMachines: UnknownMachinePolicy;
  /** How long a token from an iPXE script stays good, e.g. 900000 (15 minutes). */
  readonly tokenTtlMs: number;
  /** Records kept at most, so a flood of made-up MACs cannot fill the disk; e.g. 4096. */
  readonly maxMachines?: number;
  readonly log: Logger;
  /** Clock in ms (tests move it). */
  readonly now?: () => number;
}

/** The agent's open WebSocket, as the registry uses it. */
export interface AgentChannel {
  send(message: MachineServerMessage): void;
  close(): void;
}

/**
 * Who else wants to hear about machines (the deploy registry, the capture jobs), declared here
 * so machine/ depends on neither. `registered` runs before the registration is answered, so a
 * job it sets is the one the agent gets.
 */
export interface MachineListener {
  /** An agent registered: `how` is "token" for a fresh boot, "credential" for a reconnect. */
  registered(mac: string, how: 'token' | 'credential'): Promise<void>;
  /** A deploy-status message from the machine's agent (not checked against the job: the listener does). */
  deployStatus?(mac: string, message: DeployStatusMessage): void;
  /** A capture-status message from the machine's agent (not checked against the job: the listener does). */
  captureStatus?(mac: string, message: CaptureStatusMessage): void;
}

/** What the channel calls back with. */
export interface AgentLink {
  onMessage(message: MachineAgentMessage): void;
  onClose(): void;
}

/** The answer for one iPXE script request: what to boot, and the token if it is the agent. */
export interface PreparedBoot {
  readonly target: BootTarget;
  readonly token: string | null;
}

const DEFAULT_MAX_MACHINES = 4096;
/** Heartbeats refresh lastSeen in memory; it reaches disk at most this often. */
const LAST_SEEN_SAVE_MS = 60_000;

function badToken(detail: string): RackcastError {
  return new RackcastError('RC_ERR_MACHINE_BAD_TOKEN', `${detail}; the machine gets a fresh token the next time it network-boots (the agent reboots it by itself)`);
}

/**
 * Every machine the server knows, keyed by boot MAC: its profile, state, job, events, one-time
 * tokens and agent credential. Records live in memory and are written through to the store on
 * every change (in order), so a restarted server knows its machines and their credentials.
 */
export class MachineRegistry {
  readonly #area: StateArea<MachineRecord>;
  readonly #options: MachineRegistryOptions;
  readonly #log: Logger;
  readonly #machines = new Map<string, MachineRecord>();
  /** token hash → MAC, credential hash → MAC. */
  readonly #tokens = new Map<string, string>();
  readonly #credentials = new Map<string, string>();
  readonly #channels = new Map<string, AgentChannel>();
  readonly #savedAt = new Map<string, number>();
  #writes: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #listeners = new Set<MachineListener>();
  readonly #watchers = new Set<(mac: string) => void>();

  private constructor(area: StateArea<MachineRecord>, options: MachineRegistryOptions) {
    this.#area = area;
    this.#options = options;
    this.#log = options.log;
  }

  /** Loads the stored machines. No agent channel survives a restart, so connected states read offline. */
  static async open(store: MachineStateStore, options: MachineRegistryOptions): Promise<MachineRegistry> {
    const registry = new MachineRegistry(store.stateArea<MachineRecord>('machine'), options);
    for (const record of await registry.#area.values()) {
      if (record.state === 'waiting' || record.state === 'registered' || record.state === 'deploying' || record.state === 'capturing') record.state = 'offline';
      registry.#machines.set(record.mac, record);
      for (const t of record.tokens) registry.#tokens.set(t.hash, record.mac);
      if (record.credentialHash !== null) registry.#credentials.set(record.credentialHash, record.mac);
    }
    return registry;
  }

  /** Adds a listener (the deploy registry, the capture jobs; wired by main.ts). */
  listen(listener: MachineListener): void {
    this.#listeners.add(listener);
  }

  /**
   * Calls `onChange(mac)` after each change to a machine's record (the dashboard's live table;
   * heartbeats that only move lastSeen are not changes). Returns the function that stops it.
   */
  watch(onChange: (mac: string) => void): () => void {
    this.#watchers.add(onChange);
    return () => this.#watchers.delete(onChange);
  }

  /** True once a machine has a record: it booted the agent here or a technician gave it a job (for DHCP). */
  isKnownMachine(mac: string): boolean {
    return this.#machines.has(mac);
  }

  list(): MachineSummary[] {
    return [...this.#machines.values()].sort((a, b) => a.mac.localeCompare(b.mac)).map((r) => machineSummary(r, this.#channels.has(r.mac)));
  }

  get(mac: string): MachineSummary {
    return machineSummary(this.#record(mac), this.#channels.has(mac));
  }

  /**
   * Decides what the machine's iPXE gets and, for the agent, issues a fresh one-time token
   * (older unused ones stay good until they expire, up to MAX_TOKENS per machine). A new
   * machine gets a record either way, so the server knows it was seen; under the `local` policy
   * its job is `local` (the policy's answer stands until a technician sets another job).
   */
  async prepareBoot(mac: string, info: Omit<BootInfo, 'at'>): Promise<PreparedBoot> {
    const existing = this.#machines.get(mac);
    const target = bootTargetFor(existing, this.#options.unknownMachines);
    if (target === 'ignore') return { target, token: null };
    const record = existing ?? this.#create(mac, target === 'local' ? 'local' : 'wait');
    if (record === null) return { target: 'ignore', token: null };
    record.lastBoot = { at: this.#iso(), ...info };
    if (target === 'local') {
      this.#transition(record, 'local-boot', 'boot', 'local disk');
      await this.#save(record);
      return { target, token: null };
    }
    const token = newSecret();
    this.#addToken(record, hashSecret(token));
    this.#transition(record, 'booting', 'boot', `agent (${info.platform || 'unknown platform'} ${info.buildarch || ''})`.trim());
    await this.#save(record);
    return { target, token };
  }

  /**
   * Registers an agent by its one-time token (which is used up, and a new credential issued) or
   * re-registers it by its credential (after a server restart or a lost connection).
   */
  async register(secret: string, registration: AgentRegistration): Promise<AgentRegistrationReply> {
    const hash = hashSecret(secret);
    const tokenMac = this.#tokens.get(hash);
    let record: MachineRecord;
    let credential = secret;
    if (tokenMac !== undefined) {
      record = this.#record(tokenMac);
      const token = record.tokens.find((t) => t.hash === hash);
      this.#dropToken(record, hash);
      if (token === undefined || Date.parse(token.expiresAt) <= this.#now()) {
        this.#event(record, 'refused', 'expired token');
        await this.#save(record);
        throw badToken('this machine token has expired');
      }
      credential = newSecret();
      if (record.credentialHash !== null) this.#credentials.delete(record.credentialHash);
      record.credentialHash = hashSecret(credential);
      this.#credentials.set(record.credentialHash, record.mac);
    } else {
      const mac = this.#credentials.get(hash);
      if (mac === undefined) throw badToken('this machine token is unknown or was already used');
      record = this.#record(mac);
    }
    const { profile } = registration;
    record.profile = profile;
    record.profileAt = this.#iso();
    record.agentVersion = registration.agentVersion;
    const how = tokenMac !== undefined ? 'token' : 'credential';
    this.#transition(record, 'registered', 'register', `${how}: ${profile.disks.length} disks, ${profile.nics.length} NICs, ${profile.memory.totalBytes} bytes of memory`);
    if (registration.bootMac !== null && registration.bootMac !== record.mac) this.#event(record, 'register', `the agent reports boot MAC ${registration.bootMac}`);
    await this.#save(record);
    for (const listener of this.#listeners) {
      await listener.registered(record.mac, how).catch((err: unknown) => this.#log.error({ mac: record.mac, err }, 'registration listener failed'));
    }
    return { mac: record.mac, credential, job: jobMessage(record.job) };
  }

  /** Opens an agent's channel by its credential; a second channel of the same machine replaces the first. */
  attachAgent(credential: string, channel: AgentChannel): AgentLink {
    const mac = this.#credentials.get(hashSecret(credential));
    if (mac === undefined) throw badToken('unknown agent credential');
    const record = this.#record(mac);
    const previous = this.#channels.get(mac);
    this.#channels.set(mac, channel);
    previous?.close();
    if (record.job.action === 'wait') this.#transition(record, 'waiting', 'online', 'agent channel open');
    else if (record.job.action === 'deploy') this.#transition(record, 'deploying', 'online', `agent channel open, deploy session ${record.job.deploy.sessionId}`);
    else if (record.job.action === 'capture') this.#transition(record, 'capturing', 'online', `agent channel open, ${describeJob(record.job)}`);
    else this.#event(record, 'online', 'agent channel open');
    void this.#save(record).catch(() => undefined);
    channel.send({ type: 'job', job: jobMessage(record.job) });
    return { onMessage: (m) => this.#onAgentMessage(record, m), onClose: () => this.#onAgentClose(record, channel) };
  }

  /** Sets a machine's job (creating the record of a machine not seen yet) and sends it to a connected agent. */
  async setJob(mac: string, request: JobRequest): Promise<MachineSummary> {
    const record = this.#machines.get(mac) ?? this.#create(mac, 'wait');
    if (record === null) throw new RackcastError('RC_ERR_BAD_REQUEST', `the server already keeps ${this.#maxMachines()} machines; remove some before adding more`);
    const job = storedJob(record.job.id + 1, request, this.#iso());
    record.job = job;
    this.#event(record, 'job', describeJob(job));
    if (this.#channels.has(mac) && job.action === 'wait') this.#transition(record, 'waiting', 'job', 'sent');
    if (this.#channels.has(mac) && job.action === 'deploy') this.#transition(record, 'deploying', 'job', 'sent');
    if (this.#channels.has(mac) && job.action === 'capture') this.#transition(record, 'capturing', 'job', 'sent');
    // Stored before it is sent, and answered as set: a fast agent may have acknowledged it by the time the caller reads the answer.
    await this.#save(record);
    const summary = this.get(mac);
    if (record.job.id === job.id) this.#channels.get(mac)?.send({ type: 'job', job: jobMessage(job) });
    return summary;
  }

  /** The machine's current job as stored (deploy jobs with their token), or undefined for an unknown MAC. */
  jobOf(mac: string): MachineRecord['job'] | undefined {
    return this.#machines.get(mac)?.job;
  }

  /** The machine's last uploaded profile, or null. */
  profileOf(mac: string): MachineRecord['profile'] {
    return this.#machines.get(mac)?.profile ?? null;
  }

  /** True while the machine's agent channel is open. */
  isOnline(mac: string): boolean {
    return this.#channels.has(mac);
  }

  /** Stops writing (channels closing at shutdown are not state changes) and waits for pending writes. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#writes;
  }

  #onAgentMessage(record: MachineRecord, message: MachineAgentMessage): void {
    record.lastSeen = this.#iso();
    if (message.type === 'heartbeat') {
      if (this.#now() - (this.#savedAt.get(record.mac) ?? 0) >= LAST_SEEN_SAVE_MS) void this.#save(record).catch(() => undefined);
      return;
    }
    if (message.type === 'deploy-status') {
      for (const listener of this.#listeners) listener.deployStatus?.(record.mac, message);
      return;
    }
    if (message.type === 'capture-status') {
      for (const listener of this.#listeners) listener.captureStatus?.(record.mac, message);
      return;
    }
    if (message.jobId !== record.job.id) {
      this.#log.debug({ mac: record.mac, job: message.jobId }, 'stale job acknowledgement ignored');
      return;
    }
    const next: Partial<Record<MachineJobAction, MachineState>> = { reboot: 'rebooting', poweroff: 'powered-off', local: 'rebooting' };
    const state = next[message.action];
    if (state === undefined) return;
    this.#transition(record, state, 'job done', message.action);
    // reboot and poweroff happen once; "local" stands until changed, so the disk keeps booting.
    if (message.action !== 'local') record.job = storedJob(record.job.id + 1, 'wait', this.#iso());
    void this.#save(record).catch(() => undefined);
  }

  #onAgentClose(record: MachineRecord, channel: AgentChannel): void {
    if (this.#channels.get(record.mac) !== channel) return;
    this.#channels.delete(record.mac);
    if (this.#closed) return;
    if (record.state === 'waiting' || record.state === 'registered' || record.state === 'deploying' || record.state === 'capturing') this.#transition(record, 'offline', 'offline', 'agent channel closed');
    else this.#event(record, 'offline', 'agent channel closed');
    void this.#save(record).catch(() => undefined);
  }

  #record(mac: string): MachineRecord {
    const record = this.#machines.get(mac);
    if (record === undefined) throw new RackcastError('RC_ERR_MACHINE_NOT_FOUND', `no machine ${mac}; machines appear when they network-boot or get a job`, { mac });
    return record;
  }

  #maxMachines(): number {
    return this.#options.maxMachines ?? DEFAULT_MAX_MACHINES;
  }

  #create(mac: string, action: MachineJobAction): MachineRecord | null {
    if (this.#machines.size >= this.#maxMachines()) {
      this.#log.warn({ mac, machines: this.#machines.size }, 'machine limit reached; new machine refused');
      return null;
    }
    const at = this.#iso();
    const record: MachineRecord = {
      mac, state: 'known', firstSeen: at, lastSeen: at, profile: null, profileAt: null, agentVersion: null,
      job: storedJob(1, action, at), lastBoot: null, events: [], tokens: [], credentialHash: null,
    };
    this.#machines.set(mac, record);
    this.#event(record, 'created', action === 'wait' ? '' : `job ${action} (boot.unknownMachines)`);
    return record;
  }

  #addToken(record: MachineRecord, hash: string): void {
    const now = this.#now();
    for (const t of record.tokens.filter((x) => Date.parse(x.expiresAt) <= now)) this.#dropToken(record, t.hash);
    while (record.tokens.length >= MAX_TOKENS) this.#dropToken(record, (record.tokens[0] as { hash: string }).hash);
    record.tokens.push({ hash, expiresAt: new Date(now + this.#options.tokenTtlMs).toISOString() });
    this.#tokens.set(hash, record.mac);
  }

  #dropToken(record: MachineRecord, hash: string): void {
    record.tokens = record.tokens.filter((t) => t.hash !== hash);
    this.#tokens.delete(hash);
  }

  #transition(record: MachineRecord, state: MachineState, event: string, detail: string): void {
    const from = record.state;
    record.state = state;
    this.#event(record, event, detail);
    if (from !== state) this.#log.info({ mac: record.mac, from, state, detail }, 'machine state changed');
  }

  #event(record: MachineRecord, event: string, detail: string): void {
    record.lastSeen = this.#iso();
    record.events.push({ at: record.lastSeen, event, detail });
    if (record.events.length > MAX_EVENTS) record.events.splice(0, record.events.length - MAX_EVENTS);
    for (const watcher of this.#watchers) watcher(record.mac);
  }

  /** Writes a snapshot of the record after every earlier write (so the last change wins on disk). */
  #save(record: MachineRecord): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const snapshot = structuredClone(record);
    this.#savedAt.set(record.mac, this.#now());
    const write = this.#writes.then(() => this.#area.put(record.mac, snapshot));
    this.#writes = write.catch((err: unknown) => this.#log.error({ mac: record.mac, err }, 'machine record not saved'));
    return write;
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}
