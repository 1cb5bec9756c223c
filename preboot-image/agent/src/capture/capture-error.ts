import { AgentError } from '../agent-error.js';

/** Error codes of the agent's capture work (RC_ERR_<AREA>_<WHAT>, as the server's). */
export type CaptureErrorCode =
  /** The source is not a readable disk or disk image, or it is mounted. */
  | 'RC_ERR_CAPTURE_SOURCE'
  /** The source's content changed between hashing and upload (it is in use, or failing). */
  | 'RC_ERR_CAPTURE_CHANGED'
  /** The server could not be reached, or kept failing, within the retry budget. */
  | 'RC_ERR_CAPTURE_UNREACHABLE'
  /** The server refused a request; the message carries its code (e.g. RC_ERR_CAPTURE_BAD_TOKEN). */
  | 'RC_ERR_CAPTURE_REFUSED';

/** A capture failure with a stable code and a message saying what to do. */
export class CaptureError extends AgentError<CaptureErrorCode> {
  override readonly name = 'CaptureError';
  /** The server's own code when it refused, e.g. "RC_ERR_CAPTURE_BLOCK_MISMATCH". */
  readonly serverCode: string | null;

  constructor(code: CaptureErrorCode, message: string, serverCode: string | null = null, options?: { cause?: unknown }) {
    super(code, message, options);
    this.serverCode = serverCode;
  }
}
