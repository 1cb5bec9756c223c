export { MulticastReceiver } from './multicast-receiver.js';
export type { ReceiveOptions, ReceiveProgress, ReceiveResult } from './multicast-receiver.js';
export { ReceiveError } from './receive-error.js';
export type { ReceiveErrorCode } from './receive-error.js';
export { openBlockTarget } from './block-target.js';
export type { BlockTarget } from './block-target.js';
export { verifyOnTarget } from './block-pipeline.js';
export type { ByteRange } from './block-pipeline.js';
