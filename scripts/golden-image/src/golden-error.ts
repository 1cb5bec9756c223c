/** Error codes of the golden image builder (RC_ERR_<AREA>_<WHAT>, as the server's). */
export type GoldenErrorCode =
  | 'RC_ERR_GOLDEN_BAD_OPTION'
  | 'RC_ERR_GOLDEN_TOOL_MISSING'
  | 'RC_ERR_GOLDEN_TOO_SMALL';

/** A golden image build failure with a stable code and a message telling the technician what to do. */
export class GoldenImageError extends Error {
  readonly code: GoldenErrorCode;

  constructor(code: GoldenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GoldenImageError';
    this.code = code;
  }
}
