import { AgentError } from '../agent-error.js';

/** Error codes the agent reports to the server (RC_ERR_<AREA>_<WHAT>, as the server's). */
export type ReceiveErrorCode =
  | 'RC_ERR_DISK_TOO_SMALL'
  | 'RC_ERR_DISK_UNUSABLE'
  | 'RC_ERR_RECEIVE_REGISTER'
  | 'RC_ERR_RECEIVE_MANIFEST'
  | 'RC_ERR_RECEIVE_CANCELLED'
  | 'RC_ERR_RECEIVE_BLOCK'
  | 'RC_ERR_RECEIVE_TIMEOUT';

/** A failure the agent reports with a stable code; `transient` ones are retried. */
export class ReceiveError extends AgentError<ReceiveErrorCode> {
  override readonly name = 'ReceiveError';

  constructor(code: ReceiveErrorCode, message: string, transient = false) {
    super(code, message, { transient });
  }
}
