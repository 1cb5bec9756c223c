export {
  encodeBaseFingerprints, decodeBaseFingerprints, fingerprintManifest, baseFingerprintsLength, matchesPrefix, FINGERPRINT_PREFIX_LENGTH,
} from './base-fingerprints.js';
export type { BaseFingerprints, BlockFingerprint } from './base-fingerprints.js';
export { diffAgainstFingerprints, newBlocksOf } from './fingerprint-delta.js';
export { CAPTURED_CONFIG_SCHEMA_VERSION, CAPTURED_CONFIG_LIMITS } from './captured-config.js';
export type {
  CapturedConfig, CapturedDisk, CapturedPartition, CapturedPartitionTable, CapturedFilesystem, CapturedInterface, CapturedBootEntry,
  CapturedBootEntries, UsedBlockMethod, NetworkSource,
} from './captured-config.js';
export { parseCapturedConfig } from './parse-captured-config.js';
