import type { CaptureJobSpec, DeployJobSpec, MachineJob, MachineJobAction, MachineProfile } from '@rackcast/wire';
import { RackcastError } from '../errors.js';

/**
 * Where a machine is in its life as the server last saw it:
 * known (added by a technician, never booted here) → booting (its iPXE script was served)
 * → registered (the agent uploaded its profile) → waiting (the agent's channel is open, no work)
 * or deploying / capturing (its channel is open and it runs a deploy or capture job)
 * → rebooting / powered-off / local-boot (it acted on a job); offline: the channel dropped.
 */
export type MachineState = 'known' | 'booting' | 'registered' | 'waiting' | 'deploying' | 'capturing' | 'offline' | 'rebooting' | 'powered-off' | 'local-boot';

/** One line of a machine's history, e.g. {event: "boot", detail: "agent (pcbios i386)"}. */
export interface MachineEvent {
  readonly at: string;
  readonly event: string;
  readonly detail: string;
}

/** What iPXE said about itself when it fetched the machine's script. */
export interface BootInfo {
  readonly at: string;
  /** "pcbios" or "efi". */
  readonly platform: string;
  /** "i386", "x86_64", "arm64". */
  readonly buildarch: string;
  /** SMBIOS UUID as iPXE read it; "" when the firmware has none. */
  readonly uuid: string;
}

/** A one-time token as stored: only its hash, and when it stops being accepted. */
export interface TokenRecord {
  readonly hash: string;
  readonly expiresAt: string;
}

/** A machine's job as stored, with when it was set. */
export type StoredJob = MachineJob & { readonly setAt: string };

/** Everything the server keeps about one machine, keyed by its boot MAC. */
export interface MachineRecord {
  /** Boot MAC, lowercase colon form, e.g. "52:54:00:12:34:56". */
  readonly mac: string;
  state: MachineState;
  readonly firstSeen: string;
  lastSeen: string;
  profile: MachineProfile | null;
  profileAt: string | null;
  agentVersion: string | null;
  job: StoredJob;
  lastBoot: BootInfo | null;
  /** The newest MAX_EVENTS events, oldest first. */
  events: MachineEvent[];
  /** Hashes of one-time tokens handed out in iPXE scripts and not yet used. */
  tokens: TokenRecord[];
  /** Hash of the credential the agent got at registration; null before. */
  credentialHash: string | null;
}

/** Events kept per machine (the oldest go first). */
export const MAX_EVENTS = 50;
/** Unused tokens kept per machine: a machine whose iPXE retried its script still registers. */
export const MAX_TOKENS = 4;

/** What the API shows of a machine: never token or credential hashes. */
export type MachineSummary = Omit<MachineRecord, 'tokens' | 'credentialHash'> & { readonly online: boolean };

export function machineSummary(record: MachineRecord, online: boolean): MachineSummary {
  const { tokens: _tokens, credentialHash: _credential, ...rest } = record;
  const summary = { ...structuredClone(rest), online };
  // A deploy job carries the member's receiver token: a bearer secret, never shown.
  if (summary.job.action === 'deploy') summary.job = { ...summary.job, deploy: { ...summary.job.deploy, token: '' } };
  if (summary.job.action === 'capture') summary.job = { ...summary.job, capture: { ...summary.job.capture, token: '' } };
  return summary;
}

/**
 * A MAC from a URL, the CLI or iPXE, as the registry's key: "52:54:00:AB:CD:EF",
 * "52-54-00-ab-cd-ef" and "525400abcdef" all become "52:54:00:ab:cd:ef".
 */
export function normaliseMac(text: string): string {
  const hex = /^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i.test(text) ? text.replace(/[:-]/g, '').toLowerCase() : null;
  if (hex === null) throw new RackcastError('RC_ERR_BAD_REQUEST', `"${text.slice(0, 40)}" is not a MAC address; write it as 52:54:00:12:34:56`);
  return hex.match(/../g)?.join(':') ?? hex;
}

/** What a job is set to: a plain action, or a deploy or capture with what it carries. */
export type JobRequest =
  | MachineJobAction
  | { readonly action: 'deploy'; readonly deploy: DeployJobSpec }
  | { readonly action: 'capture'; readonly capture: CaptureJobSpec };

/** A fresh stored job. */
export function storedJob(id: number, request: JobRequest, at: string): StoredJob {
  if (typeof request === 'string') return { id, action: request, setAt: at };
  return request.action === 'deploy' ? { id, action: 'deploy', deploy: request.deploy, setAt: at } : { id, action: 'capture', capture: request.capture, setAt: at };
}

/** How a job reads in events and logs: "reboot", "deploy session 4", "capture 2 of web-07". */
export function describeJob(job: MachineJob): string {
  if (job.action === 'deploy') return `deploy session ${job.deploy.sessionId}`;
  if (job.action === 'capture') return `capture ${job.capture.captureId} of ${job.capture.image}`;
  return job.action;
}

/** The job as the agent gets it (without when it was set). */
export function jobMessage(job: StoredJob): MachineJob {
  const { setAt: _setAt, ...rest } = job;
  return rest;
}
