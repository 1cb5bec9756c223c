export { SessionRegistry } from './session-registry.js';
export type { MulticastDefaults, CreateSessionRequest } from './session-registry.js';
export { StreamSession, DEFAULT_TIMERS } from './stream-session.js';
export type { ReceiverChannel, ServerToReceiver, SessionTimers, Registration } from './stream-session.js';
export type { SessionRecord, ReceiverRecord, ReceiverProgress, SessionPhase, ReceiverStateName } from './session-record.js';
export { planRepairPass, findStragglers, lossRate, median } from './plan-repair-pass.js';
