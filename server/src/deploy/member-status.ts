import type { DeployFailure, DeployStatusMessage } from '@rackcast/wire';
import { isFinished, type MemberRecord } from './deploy-record.js';

/**
 * How a member's record changes (pure, so the rules are tested without a server): tries, the
 * agent's stage reports, and failures decided by the server.
 */

/** A new try: the machine booted the agent with this deploy job, or got the job while online. */
export function startTry(member: MemberRecord, at: string): void {
  const last = member.tries[member.tries.length - 1];
  if (last && last.endedAt === null) last.endedAt = at;
  member.tries.push({ n: member.tries.length + 1, startedAt: at, resumedBlocks: 0, fetchedBlocks: 0, endedAt: null, outcome: null });
  member.updatedAt = at;
}

/** Applies the agent's report; returns "done" or "failed" when this report finished the member. */
export function applyStatus(member: MemberRecord, message: DeployStatusMessage, at: string): 'done' | 'failed' | null {
  if (isFinished(member.state)) return null;
  member.state = message.stage;
  member.updatedAt = at;
  if (message.progress !== null) member.progress = message.progress;
  member.failure = message.failure;
  const current = member.tries[member.tries.length - 1];
  if (current && message.progress !== null) {
    current.resumedBlocks = message.progress.resumedBlocks;
    current.fetchedBlocks = message.progress.fetchedBlocks;
  }
  if (message.stage !== 'done' && message.stage !== 'failed') return null;
  if (current) {
    current.endedAt = at;
    current.outcome = message.stage;
  }
  return message.stage;
}

/** Fails a member for a reason the server found (refused plan, timeout). */
export function failMember(member: MemberRecord, failure: DeployFailure, at: string): void {
  member.state = 'failed';
  member.failure = failure;
  member.updatedAt = at;
  const current = member.tries[member.tries.length - 1];
  if (current && current.endedAt === null) {
    current.endedAt = at;
    current.outcome = 'failed';
  }
}

/** A fresh member waiting for its machine. */
export function newMember(mac: string, index: number, at: string): MemberRecord {
  return { mac, index, state: 'waiting-for-boot', hostname: null, jobId: null, plan: null, reasons: [], progress: null, failure: null, tries: [], updatedAt: at };
}
