import type { DeployJobSpec, DeployStatusMessage, MachineProfile } from '@rackcast/wire';
import { runDeployJob, type DeployJobOptions, type DeployReport } from './deploy-job.js';
import type { DiskLibrary } from './disk-library.js';
import { StatusRelay } from '../status-relay.js';

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
  readonly #relay: StatusRelay<DeployStatusMessage>;
  #running: Running | null = null;

  constructor(options: DeployDriverOptions) {
    this.#o = options;
    this.#relay = new StatusRelay(options.reportIntervalMs ?? 250);
  }

  /** Starts the job, unless this job (same id) already runs or ran in this boot. */
  take(jobId: number, spec: DeployJobSpec): void {
    if (this.#running?.jobId === jobId) {
      this.#relay.flush();
      return;
    }
    if (this.#running !== null) {
      this.#o.say(`rackcast-agent: deploy: job ${jobId} ignored: job ${this.#running.jobId} ran in this boot (reboot to take a new one)`);
      return;
    }
    const running: Running = { jobId, latest: { type: 'deploy-status', jobId, stage: 'planned', progress: null, failure: null }, finished: Promise.resolve('failed') };
    this.#running = running;
    this.#relay.update(running.latest, true);
    running.finished = runDeployJob({ ...this.#o, spec, report: (r) => this.#report(running, r) });
  }

  /** A channel opened: status goes to it from now on, starting with the latest. */
  attach(send: StatusSender): void {
    this.#relay.attach(send);
  }

  /** The channel closed: statuses wait for the next one. */
  detach(): void {
    this.#relay.detach();
  }

  /** Resolves when the running job (if any) has ended. */
  async settled(): Promise<'done' | 'failed' | null> {
    return this.#running === null ? null : this.#running.finished;
  }

  #report(running: Running, report: DeployReport): void {
    const stageChanged = report.stage !== running.latest.stage;
    if (stageChanged && report.stage !== 'failed') this.#o.say(`rackcast-agent: deploy: ${report.stage}`);
    running.latest = { type: 'deploy-status', jobId: running.jobId, ...report };
    this.#relay.update(running.latest, stageChanged);
  }
}
