export { CaptureRegistry } from './capture-registry.js';
export type { CreateCaptureRequest, CaptureInfo } from './capture-registry.js';
export { CaptureSession } from './capture-session.js';
export type { OfferReply, CommitRequest, UploadReply } from './capture-session.js';
export { captureView } from './capture-record.js';
export type { CaptureRecord, CaptureView, CaptureState, OfferSummary } from './capture-record.js';
