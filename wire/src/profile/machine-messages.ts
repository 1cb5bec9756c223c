import type { DeployPlan } from '../plan/deploy-plan.js';
import { parseDeployPlan } from '../plan/parse-deploy-plan.js';
import { asObject, choiceField, countField, invalid, objectField, optionalCountField, textField, type JsonObject } from './json-fields.js';
import type { MachineProfile } from './machine-profile.js';
import { parseMachineProfile, parseMacText } from './parse-profile.js';

/**
 * What a registered agent and the server say to each other (docs/machines.md): registration over
 * HTTP, then JSON text messages on the machine's WebSocket. Both sides parse what arrives with
 * the functions below before acting on it.
 */

/** What the technician (or a later deploy step) wants a machine to do. */
export const MACHINE_JOB_ACTIONS = ['wait', 'reboot', 'poweroff', 'local'] as const;

/**
 * wait: stay in the agent and keep reporting; reboot / poweroff: do it now (once);
 * local: reboot, and from then on boot from the local disk (the iPXE script exits).
 */
export type MachineJobAction = (typeof MACHINE_JOB_ACTIONS)[number];

/** What a deploy job carries: the session to receive, this member's receiver token, and its plan. */
export interface DeployJobSpec {
  /** Stream session id, e.g. 7. */
  readonly sessionId: number;
  /** The member's receiver token: the same on every try, so a reset machine resumes as itself. */
  readonly token: string;
  readonly plan: DeployPlan;
}

/** What a capture job carries: the capture to run, its token, and which disk to read. */
export interface CaptureJobSpec {
  /** Capture id, e.g. 3. */
  readonly captureId: number;
  /** The capture's bearer token (docs/capture-protocol.md): the same on every try, so a reset machine resumes. */
  readonly token: string;
  /** The image the version is added to, e.g. "web-07" (the agent checks it against the capture's). */
  readonly image: string;
  /** The disk to read, by serial, WWN or kernel name; "" = the machine's only fixed disk. */
  readonly disk: string;
}

/**
 * A job with an id that grows each time the job changes, so an acknowledgement names which.
 * `deploy`: restore a session's image onto the planned disk (docs/deploy.md); `capture`: read
 * the disk into a new version of an image (docs/capture-protocol.md). For both the agent stays
 * on its channel and reports stages (`deploy-status`, `capture-status`) instead of acknowledging.
 */
export type MachineJob =
  | { readonly id: number; readonly action: MachineJobAction }
  | { readonly id: number; readonly action: 'deploy'; readonly deploy: DeployJobSpec }
  | { readonly id: number; readonly action: 'capture'; readonly capture: CaptureJobSpec };

/** Where a member of a deploy is, as its agent reports it. */
export const DEPLOY_STAGES = ['planned', 'receiving', 'verifying', 'fitting', 'personalising', 'done', 'failed'] as const;
export type DeployStage = (typeof DEPLOY_STAGES)[number];

/** A deploy's progress on one machine (bytes of the image's used blocks). */
export interface DeployProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly blocksDone: number;
  readonly blocksTotal: number;
  /** Bytes per second written in this try. */
  readonly rate: number;
  readonly etaSeconds: number | null;
  /** Blocks received by repair passes or backfill. */
  readonly repairs: number;
  /** Blocks this try found already on the disk (verified) when it started. */
  readonly resumedBlocks: number;
  /** Blocks this try received over the network (multicast or backfill). */
  readonly fetchedBlocks: number;
}

/** Why a member failed: a stable code and a message for the technician. */
export interface DeployFailure {
  readonly code: string;
  readonly message: string;
}

/** Where a capture job is on the machine, as its agent reports it. */
export const CAPTURE_STAGES = ['mapping', 'hashing', 'uploading', 'committing', 'committed', 'failed'] as const;
export type CaptureStage = (typeof CAPTURE_STAGES)[number];

/** Bytes of the current stage: read and hashed (hashing), or uploaded of those the server lacks (uploading). */
export interface CaptureProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** Agent → server: a capture job's stage and progress, its version once committed, or why it failed. */
export interface CaptureStatusMessage {
  readonly type: 'capture-status';
  readonly jobId: number;
  readonly stage: CaptureStage;
  readonly progress: CaptureProgress | null;
  /** Set when stage is "committed". */
  readonly version: number | null;
  /** Set when stage is "failed". */
  readonly failure: DeployFailure | null;
}

/** POST /api/agent/register body; the one-time token or the agent credential rides in Authorization. */
export interface AgentRegistration {
  /** MAC the machine booted from (BOOTIF), lowercase colon form; null if the kernel was not told. */
  readonly bootMac: string | null;
  /** e.g. "0.1.0". */
  readonly agentVersion: string;
  readonly profile: MachineProfile;
}

/** The server's answer to a registration. */
export interface AgentRegistrationReply {
  /** The machine's key: its boot MAC. */
  readonly mac: string;
  /** Secret the agent presents from now on (re-registration, the WebSocket); replaces the token. */
  readonly credential: string;
  readonly job: MachineJob;
}

/** Server → agent. */
export type MachineServerMessage = { readonly type: 'job'; readonly job: MachineJob };

/** Agent → server: a deploy job's stage, progress, and failure (a few times a second while it runs). */
export interface DeployStatusMessage {
  readonly type: 'deploy-status';
  readonly jobId: number;
  readonly stage: DeployStage;
  readonly progress: DeployProgress | null;
  /** Set when stage is "failed". */
  readonly failure: DeployFailure | null;
}

/** Agent → server. `ack` is sent before the agent acts on a job that ends its run. */
export type MachineAgentMessage =
  | { readonly type: 'heartbeat'; readonly uptimeSeconds: number }
  | { readonly type: 'ack'; readonly jobId: number; readonly action: MachineJobAction }
  | DeployStatusMessage
  | CaptureStatusMessage;

/** A job id fits a u32 and a JS number alike. */
const MAX_JOB_ID = 0xffffffff;

const JOB_ACTIONS = [...MACHINE_JOB_ACTIONS, 'deploy', 'capture'] as const;
/** Image names are at most 64 characters (the store's rule); disk serials and WWNs fit the profile's text bound. */
const MAX_IMAGE = 64;
const MAX_DISK = 256;
/** Receiver tokens are 24 random bytes in base64url (32 characters); room to spare. */
const MAX_TOKEN = 256;
/** Failure codes are RC_ERR_* names; messages are for a person and bounded like the session channel's. */
const MAX_CODE = 64;
const MAX_FAILURE_MESSAGE = 1000;

function deploySpec(obj: JsonObject, field: string): DeployJobSpec {
  const token = textField(obj, 'token', `${field}.token`, MAX_TOKEN);
  if (token === '') throw invalid(`${field}.token`, 'empty');
  return { sessionId: countField(obj, 'sessionId', `${field}.sessionId`, MAX_JOB_ID), token, plan: parseDeployPlan(obj['plan']) };
}

function captureSpec(obj: JsonObject, field: string): CaptureJobSpec {
  const token = textField(obj, 'token', `${field}.token`, MAX_TOKEN);
  if (token === '') throw invalid(`${field}.token`, 'empty');
  const image = textField(obj, 'image', `${field}.image`, MAX_IMAGE);
  if (image === '') throw invalid(`${field}.image`, 'empty');
  return { captureId: countField(obj, 'captureId', `${field}.captureId`, MAX_JOB_ID), token, image, disk: textField(obj, 'disk', `${field}.disk`, MAX_DISK) };
}

function job(value: unknown, field: string): MachineJob {
  const obj = asObject(value, field);
  const id = countField(obj, 'id', `${field}.id`, MAX_JOB_ID);
  const action = choiceField(obj, 'action', `${field}.action`, JOB_ACTIONS);
  if (action === 'deploy') return { id, action, deploy: deploySpec(objectField(obj, 'deploy', `${field}.deploy`), `${field}.deploy`) };
  if (action === 'capture') return { id, action, capture: captureSpec(objectField(obj, 'capture', `${field}.capture`), `${field}.capture`) };
  return { id, action };
}

function deployProgress(value: unknown): DeployProgress | null {
  if (value === null) return null;
  const obj = asObject(value, 'progress');
  const n = (key: string): number => countField(obj, key, `progress.${key}`);
  const eta = obj['etaSeconds'];
  return {
    bytesDone: n('bytesDone'), bytesTotal: n('bytesTotal'), blocksDone: n('blocksDone'), blocksTotal: n('blocksTotal'), rate: n('rate'),
    etaSeconds: eta === null && Object.hasOwn(obj, 'etaSeconds') ? null : n('etaSeconds'),
    repairs: n('repairs'), resumedBlocks: n('resumedBlocks'), fetchedBlocks: n('fetchedBlocks'),
  };
}

function deployFailure(value: unknown): DeployFailure | null {
  if (value === null) return null;
  const obj = asObject(value, 'failure');
  const code = textField(obj, 'code', 'failure.code', MAX_CODE);
  if (!/^RC_ERR_[A-Z0-9_]+$/.test(code)) throw invalid('failure.code', 'expected an RC_ERR_* code');
  return { code, message: textField(obj, 'message', 'failure.message', MAX_FAILURE_MESSAGE) };
}

function deployStatus(obj: JsonObject): DeployStatusMessage {
  const stage = choiceField(obj, 'stage', 'stage', DEPLOY_STAGES);
  const failure = deployFailure(Object.hasOwn(obj, 'failure') ? obj['failure'] : undefined);
  if ((stage === 'failed') !== (failure !== null)) throw invalid('failure', 'a failed stage carries a failure, and only a failed stage does');
  return {
    type: 'deploy-status', jobId: countField(obj, 'jobId', 'jobId', MAX_JOB_ID), stage,
    progress: deployProgress(Object.hasOwn(obj, 'progress') ? obj['progress'] : undefined), failure,
  };
}

function captureStatus(obj: JsonObject): CaptureStatusMessage {
  const stage = choiceField(obj, 'stage', 'stage', CAPTURE_STAGES);
  const failure = deployFailure(Object.hasOwn(obj, 'failure') ? obj['failure'] : undefined);
  if ((stage === 'failed') !== (failure !== null)) throw invalid('failure', 'a failed stage carries a failure, and only a failed stage does');
  const version = optionalCountField(obj, 'version', 'version', MAX_JOB_ID);
  if ((stage === 'committed') !== (version !== null)) throw invalid('version', 'a committed stage carries its version, and only a committed stage does');
  const p = Object.hasOwn(obj, 'progress') ? obj['progress'] : undefined;
  const po = p === null ? null : asObject(p, 'progress');
  const progress = po === null ? null : { bytesDone: countField(po, 'bytesDone', 'progress.bytesDone'), bytesTotal: countField(po, 'bytesTotal', 'progress.bytesTotal') };
  return { type: 'capture-status', jobId: countField(obj, 'jobId', 'jobId', MAX_JOB_ID), stage, progress, version, failure };
}

/** Checks a registration body; the profile is checked by parseMachineProfile. */
export function parseAgentRegistration(value: unknown): AgentRegistration {
  const obj = asObject(value, 'registration');
  const bootMac = obj['bootMac'] === null || obj['bootMac'] === undefined ? null : parseMacText(textField(obj, 'bootMac', 'bootMac', 64), 'bootMac');
  return { bootMac, agentVersion: textField(obj, 'agentVersion', 'agentVersion', 64), profile: parseMachineProfile(obj['profile']) };
}

export function parseAgentRegistrationReply(value: unknown): AgentRegistrationReply {
  const obj = asObject(value, 'reply');
  return { mac: parseMacText(textField(obj, 'mac', 'mac', 64), 'mac'), credential: textField(obj, 'credential', 'credential', 256), job: job(obj['job'], 'job') };
}

export function parseMachineServerMessage(value: unknown): MachineServerMessage {
  const obj = asObject(value, 'message');
  if (obj['type'] !== 'job') throw invalid('type', 'expected "job"');
  return { type: 'job', job: job(obj['job'], 'job') };
}

export function parseMachineAgentMessage(value: unknown): MachineAgentMessage {
  const obj = asObject(value, 'message');
  if (obj['type'] === 'heartbeat') return { type: 'heartbeat', uptimeSeconds: countField(obj, 'uptimeSeconds', 'uptimeSeconds') };
  if (obj['type'] === 'ack') {
    return { type: 'ack', jobId: countField(obj, 'jobId', 'jobId', MAX_JOB_ID), action: choiceField(obj, 'action', 'action', MACHINE_JOB_ACTIONS) };
  }
  if (obj['type'] === 'deploy-status') return deployStatus(obj);
  if (obj['type'] === 'capture-status') return captureStatus(obj);
  throw invalid('type', 'expected "heartbeat", "ack", "deploy-status" or "capture-status"');
}
