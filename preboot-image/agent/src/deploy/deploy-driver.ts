import type { DeployJobSpec, DeployStatusMessage, MachineProfile } from '@rackcast/wire';
import { runDeployJob, type DeployJobOptions, type DeployReport } from './deploy-job.js';
import type { DiskLibrary } from './disk-library.js';

/** Sends one status to the server over the machine channel that is open now. */
export type StatusSender = (message: DeployStatusMessage) => void;

export interface DeployDriverOptions {
  readonly server: string;
  readonly profile: MachineProfile;
  readonly devDir: string;
  readonly disks: DiskLibrary;
  say(line: string): void;
  readonly receive?: DeployJobOptions['receive'];
  /** Progress goes to the server at most this often, e.g. 250 (stage changes go at once). */
  readonly reportIntervalMs?: number;
}

interface Running {
  readonly jobId: number;
  latest: DeployStatusMessage;
  finished: Promise<'done' | 'failed'>;
}

/**
 * Runs the machine's deploy job across channel reconnects: the job arrives again on every
 * (re)connect with the same id, and must not start a second run. Reports stage changes at once
 * and progress at most every `reportIntervalMs`; the latest status is sent again when a channel
 * opens, so a server that restarted (or a channel that dropped) learns where the run is.
 */
export class DeployDriver {
  readonly #o: DeployDriverOptions;
  #running: Running | null = null;
  #send: StatusSender | null = null;
  #lastSentAt = 0;
  #pending: NodeJS.Timeout | null = null;

  constructor(options: DeployDriverOptions) {
    this.#o = options;
  }

  /** Starts the job, unless this job (same id) already runs or ran in this boot. */
  take(jobId: number, spec: DeployJobSpec): void {
    if (this.#running?.jobId === jobId) {
      this.#flush();
      return;
    }
    if (this.#running !== null) {
      this.#o.say(`rackcast-agent: deploy: job ${jobId} ignored: job ${this.#running.jobId} ran in this boot (reboot to take a new one)`);
      return;
    }
    const running: Running = { jobId, latest: { type: 'deploy-status', jobId, stage: 'planned', progress: null, failure: null }, finished: Promise.resolve('failed') };
    this.#running = running;
    running.finished = runDeployJob({ ...this.#o, spec, report: (r) => this.#report(running, r) });
    this.#flush();
  }

  /** A channel opened: status goes to it from now on, starting with the latest. */
  attach(send: StatusSender): void {
    this.#send = send;
    this.#flush();
  }

  /** The channel closed: statuses wait for the next one. */
  detach(): void {
    this.#send = null;
  }

  /** Resolves when the running job (if any) has ended. */
  async settled(): Promise<'done' | 'failed' | null> {
    return this.#running === null ? null : this.#running.finished;
  }

  #report(running: Running, report: DeployReport): void {
    const stageChanged = report.stage !== running.latest.stage;
    if (stageChanged && report.stage !== 'failed') this.#o.say(`rackcast-agent: deploy: ${report.stage}`);
    running.latest = { type: 'deploy-status', jobId: running.jobId, ...report };
    const interval = this.#o.reportIntervalMs ?? 250;
    if (stageChanged || Date.now() - this.#lastSentAt >= interval) this.#flush();
    else this.#pending ??= setTimeout(() => this.#flush(), interval);
  }

  #flush(): void {
    if (this.#pending !== null) clearTimeout(this.#pending);
    this.#pending = null;
    const latest = this.#running?.latest;
    if (latest === undefined || this.#send === null) return;
    this.#lastSentAt = Date.now();
    this.#send(latest);
  }
}
