import { setTimeout as sleep } from 'node:timers/promises';
import type { MachineJobAction, MachineProfile } from '@rackcast/wire';
import { CaptureDriver, type CaptureDriverOptions } from '../capture/capture-driver.js';
import { DeployDriver, type DeployDriverOptions } from '../deploy/index.js';
import type { BootSettings } from './boot-settings.js';
import { registerMachine, runChannel, type ChannelEnd } from './machine-link.js';
import type { PowerAction, PowerControl } from './power.js';

/** Delays of the standby loop; every one is bounded, and the loop runs as long as the machine is up. */
export interface StandbyTiming {
  /** First retry delay after a failed registration or a lost connection, e.g. 500. */
  readonly retryMinMs: number;
  /** Retry delays double up to this, e.g. 10000. */
  readonly retryMaxMs: number;
  /** Heartbeat interval on the channel, e.g. 10000. */
  readonly heartbeatMs: number;
  /** Silence after which the channel counts as dead, e.g. 30000. */
  readonly deadMs: number;
  /** Wait before rebooting for a fresh token when registration is refused, e.g. 30000. */
  readonly refusedRebootMs: number;
  /** Deadline of one registration request, e.g. 15000. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_STANDBY_TIMING: StandbyTiming = {
  retryMinMs: 500, retryMaxMs: 10_000, heartbeatMs: 10_000, deadMs: 30_000, refusedRebootMs: 30_000, requestTimeoutMs: 15_000,
};

export interface StandbyOptions {
  readonly settings: BootSettings;
  readonly agentVersion: string;
  /** Detects this machine's profile (detectProfile in the image). */
  detect(): Promise<MachineProfile>;
  readonly power: PowerControl;
  /** Prints one console line; lab tests read the serial log. */
  say(line: string): void;
  readonly timing?: Partial<StandbyTiming>;
  /** Stops the loop (tests); the real agent runs until a job ends it. */
  readonly signal?: AbortSignal;
  /** Where deploy jobs write (device folder, disk library); without it deploy jobs are refused. */
  readonly deploy?: Pick<DeployDriverOptions, 'devDir' | 'disks' | 'receive' | 'reportIntervalMs'>;
  /** Where capture jobs read (device folder, sysfs); without it capture jobs fail. */
  readonly capture?: Pick<CaptureDriverOptions, 'devDir' | 'sysfsRoot' | 'reportIntervalMs' | 'capture'>;
}

/** What ended a standby run: the power action taken, or the abort signal. */
export type StandbyEnd = PowerAction | 'aborted';

const POWER_FOR: Readonly<Record<Exclude<MachineJobAction, 'wait'>, PowerAction>> = { reboot: 'reboot', poweroff: 'poweroff', local: 'reboot' };

function describeProfile(p: MachineProfile): string {
  const gib = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GiB`;
  const disks = p.disks.map((d) => `${d.name} ${gib(d.sizeBytes)}`).join(', ') || 'no disks';
  const nics = p.nics.map((n) => `${n.name} ${n.mac}`).join(', ') || 'no NICs';
  return `uuid ${p.system.uuid || '-'}, ${p.firmware.mode}, ${p.cpu.threads} CPUs, ${gib(p.memory.totalBytes)} memory, ${disks}; ${nics}` +
    (p.problems.length > 0 ? `; ${p.problems.length} probe problems` : '');
}

/**
 * The agent's life in the preboot image when no work is running: detect the hardware, register
 * with the one-time token (then with the credential the server gives), keep the job channel
 * open, reconnect with bounded backoff forever, and carry out jobs. Prints one line per state
 * change. Never needs console input: a refused token ends in a reboot, which fetches a new one.
 */
export async function runStandby(options: StandbyOptions): Promise<StandbyEnd> {
  const t = { ...DEFAULT_STANDBY_TIMING, ...options.timing };
  const { settings, signal } = options;
  let lastState = '';
  const state = (name: string, detail: string): void => {
    if (name === lastState) return;
    lastState = name;
    options.say(`rackcast-agent: ${name}: ${detail}`);
  };
  let delay = t.retryMinMs;
  const backoff = async (): Promise<void> => {
    await sleep(delay / 2 + Math.random() * delay, undefined, { signal }).catch(() => undefined);
    delay = Math.min(t.retryMaxMs, delay * 2);
  };
  const rebootForToken = async (why: string): Promise<StandbyEnd> => {
    state('refused', `${why}; rebooting in ${Math.round(t.refusedRebootMs / 1000)} s to get a fresh token`);
    await sleep(t.refusedRebootMs, undefined, { signal }).catch(() => undefined);
    if (signal?.aborted) return 'aborted';
    state('rebooting', 'for a fresh token');
    await options.power('reboot');
    return 'reboot';
  };

  state('detecting', 'hardware');
  const profile = await options.detect();
  state('detected', describeProfile(profile));
  const deploy = options.deploy ? new DeployDriver({ ...options.deploy, server: settings.server, profile, say: options.say }) : null;
  // Without a disk folder the capture driver still runs, to report the refusal to the server.
  const capture = new CaptureDriver({ devDir: null, sysfsRoot: '/sys', ...options.capture, server: settings.server, profile, say: options.say });
  let credential: string | null = null;
  while (!signal?.aborted) {
    const secret = credential ?? settings.token;
    if (secret === null) return rebootForToken('no machine token on the kernel command line');
    if (lastState !== 'unreachable') state('registering', `with ${settings.server}`);
    const outcome = await registerMachine(settings.server, secret, { bootMac: settings.bootMac, agentVersion: options.agentVersion, profile }, t.requestTimeoutMs);
    if (outcome.kind === 'refused') return rebootForToken(`registration refused (${outcome.message})`);
    if (outcome.kind === 'unreachable') {
      state('unreachable', `${settings.server} (${outcome.message}); retrying with backoff up to ${t.retryMaxMs / 1000} s`);
      await backoff();
      continue;
    }
    credential = outcome.reply.credential;
    state('registered', `as ${outcome.reply.mac}`);
    const end = await runChannel({
      server: settings.server, credential, heartbeatMs: t.heartbeatMs, deadMs: t.deadMs, signal,
      onOpen: (send) => {
        delay = t.retryMinMs;
        deploy?.attach((m) => send(m));
        capture.attach((m) => send(m));
      },
      onWait: (job) => state('waiting', `for a job (job ${job.id}: wait)`),
      onDeploy: (jobId, spec) => {
        state('deploying', `job ${jobId}: session ${spec.sessionId}, ${spec.plan.image.name}@${spec.plan.image.version} as ${spec.plan.personalise.hostname}`);
        if (deploy) deploy.take(jobId, spec);
        else options.say('rackcast-agent: deploy: this agent was started without a disk to deploy to');
      },
      onCapture: (jobId, spec) => {
        state('capturing', `job ${jobId}: capture ${spec.captureId} of ${spec.image}${spec.disk ? ` from disk ${spec.disk}` : ''}`);
        capture.take(jobId, spec);
      },
      onClose: () => {
        deploy?.detach();
        capture.detach();
      },
    });
    const done = await afterChannel(end, options, state);
    if (done !== null) return done;
    if (!(end.kind === 'lost' && end.opened)) await backoff();
    else await sleep(t.retryMinMs, undefined, { signal }).catch(() => undefined);
  }
  return 'aborted';
}

/** Acts on how the channel ended: a job's power action ends the run (returned); otherwise null and the loop reconnects. */
async function afterChannel(end: ChannelEnd, options: StandbyOptions, state: (name: string, detail: string) => void): Promise<StandbyEnd | null> {
  if (end.kind === 'job') {
    const action = POWER_FOR[end.job.action];
    state(action === 'reboot' ? 'rebooting' : 'powering off', `job ${end.job.id}: ${end.job.action}`);
    await options.power(action);
    return action;
  }
  state('reconnecting', end.kind === 'refused' ? `channel refused (${end.detail}); registering again` : `connection lost (${end.detail})`);
  return null;
}
