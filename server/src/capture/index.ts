export { CaptureRegistry } from './capture-registry.js';
export type { CreateCaptureRequest, CaptureInfo } from './capture-registry.js';
export { CaptureSession } from './capture-session.js';
export type { OfferReply, CommitRequest, UploadReply } from './capture-session.js';
export { captureView } from './capture-record.js';
export type { CaptureRecord, CaptureView, CaptureState, OfferSummary, CaptureJobRecord } from './capture-record.js';
export { CaptureJobs } from './capture-jobs.js';
export type { CaptureJobRequest, CaptureJobStarted } from './capture-jobs.js';
