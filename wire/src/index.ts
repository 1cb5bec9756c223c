/** @rackcast/wire: the package's only public surface. Pure codecs; no I/O. */
export * from './manifest/index.js';
export * from './capture/index.js';
export * from './block/index.js';
export * from './blockstream/index.js';
export * from './tftp/index.js';
export * from './dhcp/index.js';
export * from './profile/index.js';
export { WireError, isWireError } from './wire-error.js';
export type { WireErrorCode } from './wire-error.js';
export { equalBytes } from './equal-bytes.js';
export * from './plan/index.js';
