export * from './manifest.js';
export { encodeManifest, decodeManifest, manifestDigest, MANIFEST_FORMAT_VERSION } from './manifest-codec.js';
export { encodeManifestDelta, decodeManifestDelta } from './delta-codec.js';
export { composeVersion, diffManifests } from './compose.js';
export type { ManifestDelta, DeltaBlock, NewBlock, BaseRef, ComposeResult, ComposeStats } from './compose.js';
export { validateManifest, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE } from './validate-manifest.js';
