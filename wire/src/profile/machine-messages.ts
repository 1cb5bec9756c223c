import { asObject, choiceField, countField, invalid, textField } from './json-fields.js';
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

/** A job with an id that grows each time the job changes, so an acknowledgement names which. */
export interface MachineJob {
  readonly id: number;
  readonly action: MachineJobAction;
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

/** Agent → server. `ack` is sent before the agent acts on a job that ends its run. */
export type MachineAgentMessage =
  | { readonly type: 'heartbeat'; readonly uptimeSeconds: number }
  | { readonly type: 'ack'; readonly jobId: number; readonly action: MachineJobAction };

/** A job id fits a u32 and a JS number alike. */
const MAX_JOB_ID = 0xffffffff;

function job(value: unknown, field: string): MachineJob {
  const obj = asObject(value, field);
  return { id: countField(obj, 'id', `${field}.id`, MAX_JOB_ID), action: choiceField(obj, 'action', `${field}.action`, MACHINE_JOB_ACTIONS) };
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
  throw invalid('type', 'expected "heartbeat" or "ack"');
}
