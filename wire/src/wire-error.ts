/**
 * Stable error codes of the wire codecs. Callers branch on `code`, never on the message
 * (fastify FST_ERR_*, ws WS_ERR_*).
 */
export type WireErrorCode =
  | 'RC_ERR_WIRE_TRUNCATED'
  | 'RC_ERR_WIRE_BAD_MAGIC'
  | 'RC_ERR_WIRE_UNSUPPORTED_VERSION'
  | 'RC_ERR_WIRE_CHECKSUM'
  | 'RC_ERR_WIRE_INVALID'
  | 'RC_ERR_MANIFEST_DANGLING_REF'
  | 'RC_ERR_MANIFEST_BASE_MISMATCH';

/** A value could not be decoded or encoded. `field` names the part at fault. */
export class WireError extends Error {
  readonly code: WireErrorCode;
  readonly field: string;

  constructor(code: WireErrorCode, field: string, message: string) {
    super(`${message} (${field})`);
    this.name = 'WireError';
    this.code = code;
    this.field = field;
  }
}

const WIRE_ERROR_CODES: ReadonlySet<string> = new Set<WireErrorCode>([
  'RC_ERR_WIRE_TRUNCATED',
  'RC_ERR_WIRE_BAD_MAGIC',
  'RC_ERR_WIRE_UNSUPPORTED_VERSION',
  'RC_ERR_WIRE_CHECKSUM',
  'RC_ERR_WIRE_INVALID',
  'RC_ERR_MANIFEST_DANGLING_REF',
  'RC_ERR_MANIFEST_BASE_MISMATCH',
]);

/** True for any error carrying a WireError code; checked by code so it works across packages. */
export function isWireError(err: unknown): err is WireError {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && WIRE_ERROR_CODES.has(code);
}
