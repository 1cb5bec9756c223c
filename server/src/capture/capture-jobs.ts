import type { CaptureStatusMessage, MachineJob } from '@rackcast/wire';
import { hasCode, RackcastError } from '../errors.js';
import type { Logger } from '../log.js';
import { describeJob, normaliseMac, type MachineListener, type MachineRegistry } from '../machine/index.js';
import type { ImageStore } from '../store/index.js';
import { captureView, type CaptureRecord, type CaptureView } from './capture-record.js';
import type { CaptureRegistry } from './capture-registry.js';

/** `rackcast capture <machine> --image <name> [--disk <serial>]`, as the API takes it. */
export interface CaptureJobRequest {
  /** A MAC, or the host name a committed capture of the machine recorded. */
  readonly machine: string;
  readonly image: string;
  /** The disk to read by serial, WWN or kernel name; "" or absent = the machine's only fixed disk. */
  readonly disk?: string;
}

/** The answer to a capture job request: the capture and the machine's new job (token blanked). */
export interface CaptureJobStarted {
  readonly capture: CaptureView;
  readonly job: MachineJob;
}

type CaptureJob = Extract<MachineJob, { action: 'capture' }>;

export interface CaptureJobsOptions {
  /**
   * A capture job whose machine has not been heard from for this long fails
   * (RC_ERR_CAPTURE_JOB_TIMEOUT) and gives the machine back; e.g. 1800000, as a deploy member.
   */
  readonly timeoutMs?: number;
  readonly checkIntervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;

const isCaptureJob = (job: MachineJob | undefined): job is CaptureJob => job?.action === 'capture';

/**
 * Runs captures as machine jobs, the way deploys drive their members: the capture is created
 * bound to the machine and the machine's job becomes `capture` (sent at once to an agent in
 * standby, or taken when the machine next network-boots the agent: a capture job is not
 * `local`, so its boot policy serves the agent). A machine reset mid-capture registers afresh
 * and gets the same job, token included; its agent offers again and uploads only what the store
 * still lacks. Committed (the agent says so, or the machine comes back after the commit) → job
 * `local`; failed or cancelled → job `wait`, the reason kept on the capture. Only the commit
 * makes a version, so an interrupted capture leaves none.
 */
export class CaptureJobs implements MachineListener {
  readonly #captures: CaptureRegistry;
  readonly #machines: MachineRegistry;
  readonly #store: ImageStore;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  /**
   * When each open capture job's machine was last heard from (queued, booted, reported, or its
   * agent online), in this process: a server restart gives every job a full timeout again.
   */
  readonly #lastHeard = new Map<number, number>();
  readonly #timer: NodeJS.Timeout;
  #checking = false;

  private constructor(captures: CaptureRegistry, machines: MachineRegistry, store: ImageStore, log: Logger, options: CaptureJobsOptions) {
    this.#captures = captures;
    this.#machines = machines;
    this.#store = store;
    this.#log = log;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#timer = setInterval(() => void this.#checkTimeouts(), options.checkIntervalMs ?? 5000);
    this.#timer.unref();
  }

  /** Starts listening to machines and captures. */
  static open(captures: CaptureRegistry, machines: MachineRegistry, store: ImageStore, log: Logger, options: CaptureJobsOptions = {}): CaptureJobs {
    const jobs = new CaptureJobs(captures, machines, store, log, options);
    machines.listen(jobs);
    captures.watch((record) => jobs.#captureChanged(record));
    return jobs;
  }

  /** Stops the timeout checks (server shutdown). */
  close(): void {
    clearInterval(this.#timer);
  }

  /** Creates the capture bound to the machine and sets the machine's job to it. */
  async start(request: CaptureJobRequest): Promise<CaptureJobStarted> {
    const mac = await this.#resolveMachine(request.machine);
    const current = this.#machines.jobOf(mac);
    if (current?.action === 'deploy' || isCaptureJob(current)) {
      throw new RackcastError('RC_ERR_CAPTURE_BUSY', `${mac} is busy with ${describeJob(current)}; wait for it, or cancel it first`, { mac });
    }
    const disk = request.disk ?? '';
    const { capture, token } = await this.#captures.create({ image: request.image, machine: mac, job: { disk } });
    const machine = await this.#machines.setJob(mac, { action: 'capture', capture: { captureId: capture.id, token, image: capture.image, disk } });
    const session = await this.#captures.get(capture.id);
    this.#lastHeard.set(capture.id, Date.now());
    if (this.#machines.isOnline(mac)) await session.jobUpdate({ tries: 1 });
    this.#log.info({ capture: capture.id, mac, image: capture.image, online: this.#machines.isOnline(mac) }, 'capture job queued');
    return { capture: captureView(session.record), job: machine.job };
  }

  /** MachineListener: a fresh boot is a new try of the machine's capture job; a job whose capture ended is replaced. */
  async registered(mac: string, how: 'token' | 'credential'): Promise<void> {
    const job = this.#machines.jobOf(mac);
    if (!isCaptureJob(job)) return;
    const session = await this.#captures.get(job.capture.captureId).catch(() => null);
    const state = session?.record.state ?? 'cancelled';
    if (state === 'committed') {
      await this.#machines.setJob(mac, 'local');
      return;
    }
    if (state === 'cancelled' || state === 'failed' || session === null) {
      await this.#machines.setJob(mac, 'wait');
      return;
    }
    this.#lastHeard.set(session.record.id, Date.now());
    if (how === 'token') {
      await session.jobUpdate({ tries: (session.record.job?.tries ?? 0) + 1, stage: 'queued', progress: null });
      this.#log.info({ capture: session.record.id, mac, tries: session.record.job?.tries }, 'capture job machine booted; it takes (or resumes) the capture');
    }
  }

  /** MachineListener: the agent's report on its capture job. */
  captureStatus(mac: string, message: CaptureStatusMessage): void {
    const job = this.#machines.jobOf(mac);
    if (!isCaptureJob(job) || job.id !== message.jobId) {
      this.#log.debug({ mac, job: message.jobId }, 'capture status for no current capture job ignored');
      return;
    }
    this.#lastHeard.set(job.capture.captureId, Date.now());
    void this.#applyStatus(mac, job, message).catch((err: unknown) => this.#log.error({ mac, err }, 'capture status not applied'));
  }

  async #applyStatus(mac: string, job: CaptureJob, message: CaptureStatusMessage): Promise<void> {
    const session = await this.#captures.get(job.capture.captureId);
    const state = session.record.state;
    if (message.stage === 'committed') {
      if (state === 'committed') await this.#machines.setJob(mac, 'local');
      return;
    }
    if (message.stage === 'failed' && message.failure !== null) {
      // A capture cancelled meanwhile fails on the agent too: its reason stands.
      if (state === 'waiting' || state === 'uploading') await session.fail(message.failure);
      return;
    }
    if (state === 'waiting' || state === 'uploading') await session.jobUpdate({ stage: message.stage, progress: message.progress });
  }

  /**
   * Fails capture jobs whose machine has been silent for the timeout: never network-booted
   * after the job was queued (switched off, or not set to boot from the network), or its agent
   * gone mid-capture and the machine not back. Without this such a job held its machine (and
   * a deploy or another capture of it) until someone cancelled it. A machine whose agent is
   * online counts as heard from: a long upload is not a silence.
   */
  async #checkTimeouts(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      const now = Date.now();
      for (const capture of await this.#captures.list()) {
        if (capture.job === null || capture.machine === null || (capture.state !== 'waiting' && capture.state !== 'uploading')) {
          this.#lastHeard.delete(capture.id);
          continue;
        }
        if (this.#machines.isOnline(capture.machine) || !this.#lastHeard.has(capture.id)) this.#lastHeard.set(capture.id, now);
        if (now - (this.#lastHeard.get(capture.id) ?? now) < this.#timeoutMs) continue;
        const minutes = Math.max(1, Math.round(this.#timeoutMs / 60_000));
        const message = capture.job.tries === 0
          ? `the machine did not network-boot within ${minutes} min of the capture being queued; power it on set to boot from the network, then start the capture again`
          : `no word from the machine for ${minutes} min while ${capture.job.stage}; power-cycle it (blocks already uploaded are kept), then start the capture again`;
        this.#lastHeard.delete(capture.id);
        const session = await this.#captures.get(capture.id);
        await session.fail({ code: 'RC_ERR_CAPTURE_JOB_TIMEOUT', message });
        this.#log.warn({ capture: capture.id, mac: capture.machine, tries: capture.job.tries }, 'capture job timed out');
      }
    } catch (err) {
      this.#log.error({ err }, 'capture job timeout check failed');
    } finally {
      this.#checking = false;
    }
  }

  /** A capture job that ended without a version gives its machine back: job `wait`. */
  #captureChanged(record: CaptureRecord): void {
    if (record.job === null || record.machine === null || (record.state !== 'failed' && record.state !== 'cancelled')) return;
    const job = this.#machines.jobOf(record.machine);
    if (!isCaptureJob(job) || job.capture.captureId !== record.id) return;
    void this.#machines.setJob(record.machine, 'wait').catch((err: unknown) => this.#log.error({ mac: record.machine, err }, 'machine job not reset after the capture ended'));
  }

  /** A MAC as is; otherwise the machine whose newest captured version recorded that host name. */
  async #resolveMachine(name: string): Promise<string> {
    try {
      return normaliseMac(name);
    } catch (err) {
      if (!hasCode(err, 'RC_ERR_BAD_REQUEST')) throw err;
    }
    const found = new Set<string>();
    for (const image of await this.#store.listImages()) {
      for (const version of await this.#store.listVersions(image.name)) {
        const { kind, machine } = version.source;
        const config = version.config;
        const hostname = config !== null && typeof config === 'object' && !Array.isArray(config) ? config['hostname'] : undefined;
        if (kind === 'capture' && machine !== undefined && hostname === name) found.add(machine);
      }
    }
    const macs = [...found];
    if (macs.length === 1) return macs[0] as string;
    if (macs.length > 1) throw new RackcastError('RC_ERR_BAD_REQUEST', `host name ${name} was captured from ${macs.join(' and ')}; name the machine by its MAC`);
    throw new RackcastError('RC_ERR_MACHINE_NOT_FOUND', `no machine is known as ${JSON.stringify(name.slice(0, 64))}: name it by its MAC (\`rackcast machine list\`), or by a host name one of its captures recorded`);
  }
}
