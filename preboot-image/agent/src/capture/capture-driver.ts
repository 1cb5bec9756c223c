import { join } from 'node:path';
import type { CaptureJobSpec, CaptureStatusMessage, DiskProfile, MachineProfile } from '@rackcast/wire';
import { AgentError } from '../agent-error.js';
import { StatusRelay } from '../status-relay.js';
import { CaptureError } from './capture-error.js';
import { runCapture, type CaptureOptions, type CaptureResult } from './run-capture.js';

/** Sends one status to the server over the machine channel that is open now. */
export type CaptureStatusSender = (message: CaptureStatusMessage) => void;

export interface CaptureDriverOptions {
  readonly server: string;
  /** The profile the agent registered with: it picks the disk, and goes with the version. */
  readonly profile: MachineProfile;
  /** Folder of the disks' device nodes, e.g. "/dev" (tests: a folder of disk files); null: this agent reads no disks. */
  readonly devDir: string | null;
  /** sysfs, e.g. "/sys": disk size, partitions, firmware mode. */
  readonly sysfsRoot: string;
  say(line: string): void;
  /** Progress goes to the server at most this often, e.g. 250 (stage changes go at once). */
  readonly reportIntervalMs?: number;
  /** Extra runCapture options (tests: partition nodes, tool runner). */
  readonly capture?: Partial<Pick<CaptureOptions, 'runner' | 'procRoot' | 'tmpDir' | 'partitionPath' | 'concurrency'>>;
}

/**
 * The disk a capture job reads: the one the job names by serial, WWN or kernel name, or else the
 * machine's only fixed disk (not removable, not empty). Several fixed disks and no name is a
 * refusal: guessing could capture the wrong system.
 */
export function chooseCaptureDisk(disks: readonly DiskProfile[], named: string): DiskProfile {
  if (named !== '') {
    const found = disks.find((d) => d.serial === named || d.wwn === named || d.name === named);
    if (found === undefined) {
      throw new CaptureError('RC_ERR_CAPTURE_SOURCE', `this machine has no disk with serial, WWN or name ${named} (it has ${disks.map((d) => `${d.name} ${d.serial || '-'}`).join(', ') || 'no disks'})`);
    }
    return found;
  }
  const fixed = disks.filter((d) => !d.removable && d.sizeBytes > 0);
  if (fixed.length === 1) return fixed[0] as DiskProfile;
  if (fixed.length === 0) throw new CaptureError('RC_ERR_CAPTURE_SOURCE', 'this machine has no fixed disk to capture');
  throw new CaptureError('RC_ERR_CAPTURE_SOURCE', `this machine has ${fixed.length} disks (${fixed.map((d) => `${d.name} serial ${d.serial || '-'}`).join(', ')}); name the one to capture with --disk <serial>`);
}

interface Running {
  readonly jobId: number;
  latest: CaptureStatusMessage;
  done: boolean;
}

const failureOf = (err: unknown): { code: string; message: string } => {
  if (err instanceof AgentError && /^RC_ERR_[A-Z0-9_]+$/.test(err.code)) return { code: err.code, message: err.message.slice(0, 1000) };
  return { code: 'RC_ERR_CAPTURE_FAILED', message: (err instanceof Error ? err.message : String(err)).slice(0, 1000) };
};

/**
 * Runs the machine's capture job across channel reconnects: the job arrives again on every
 * (re)connect with the same id and must not start a second run. Reports stage changes at once
 * and progress at most every `reportIntervalMs`; the latest status goes again when a channel
 * opens, so the server learns a failure or commit that happened while the channel was down.
 * A job that ended (failed) leaves the agent free for the next one.
 */
export class CaptureDriver {
  readonly #o: CaptureDriverOptions;
  readonly #relay: StatusRelay<CaptureStatusMessage>;
  #running: Running | null = null;
  #finished: Promise<CaptureResult | null> = Promise.resolve(null);

  constructor(options: CaptureDriverOptions) {
    this.#o = options;
    this.#relay = new StatusRelay(options.reportIntervalMs ?? 250);
  }

  /** Starts the job, unless this job (same id) already runs or ran, or another is still running. */
  take(jobId: number, spec: CaptureJobSpec): void {
    if (this.#running?.jobId === jobId) {
      this.#relay.flush();
      return;
    }
    if (this.#running !== null && !this.#running.done) {
      this.#o.say(`rackcast-agent: capture: job ${jobId} ignored: job ${this.#running.jobId} is still running`);
      return;
    }
    const running: Running = { jobId, latest: { type: 'capture-status', jobId, stage: 'mapping', progress: null, version: null, failure: null }, done: false };
    this.#running = running;
    this.#relay.update(running.latest, true);
    this.#finished = this.#run(running, spec);
  }

  /** A channel opened: status goes to it from now on, starting with the latest. */
  attach(send: CaptureStatusSender): void {
    this.#relay.attach(send);
  }

  /** The channel closed: statuses wait for the next one. */
  detach(): void {
    this.#relay.detach();
  }

  /** Resolves when the current run (if any) has ended: its result, or null. */
  settled(): Promise<CaptureResult | null> {
    return this.#finished;
  }

  async #run(running: Running, spec: CaptureJobSpec): Promise<CaptureResult | null> {
    const say = (line: string): void => this.#o.say(`rackcast-agent: capturing: ${line}`);
    try {
      if (this.#o.devDir === null) throw new CaptureError('RC_ERR_CAPTURE_SOURCE', 'this agent was started without a disk folder (--dev-dir); it cannot capture');
      const disk = chooseCaptureDisk(this.#o.profile.disks, spec.disk);
      const source = join(this.#o.devDir, disk.name);
      say(`capture ${spec.captureId} of ${spec.image} from ${source} (${disk.serial || 'no serial'}, ${disk.sizeBytes} bytes)`);
      const result = await runCapture({
        ...this.#o.capture, server: this.#o.server, token: spec.token, source, image: spec.image, profile: this.#o.profile, sysRoot: this.#o.sysfsRoot, say,
        onProgress: (stage, progress) => this.#report(running, { ...running.latest, stage, progress }),
      });
      this.#o.say(`rackcast-agent: captured: version ${result.version} of ${result.image} (${result.offer}, ${result.blocks} blocks, ${result.uploaded.blocks} uploaded, ${result.seconds.total} s)`);
      this.#report(running, { ...running.latest, stage: 'committed', progress: null, version: result.version });
      return result;
    } catch (err) {
      const failure = failureOf(err);
      this.#o.say(`rackcast-agent: capture failed: ${failure.code}: ${failure.message}`);
      this.#report(running, { ...running.latest, stage: 'failed', progress: null, failure });
      return null;
    } finally {
      running.done = true;
    }
  }

  #report(running: Running, next: CaptureStatusMessage): void {
    const stageChanged = next.stage !== running.latest.stage;
    running.latest = next;
    if (this.#running === running) this.#relay.update(next, stageChanged);
  }
}
