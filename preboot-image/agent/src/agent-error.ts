/**
 * A failure the agent reports with a stable code (RC_ERR_<AREA>_<WHAT>, as the server's) and a
 * message saying what was expected, what was found and what to do. `transient` ones may succeed
 * when retried. Each area (receive, disk, personalise, deploy, capture) narrows the codes.
 */
export class AgentError<C extends string = string> extends Error {
  readonly code: C;
  readonly transient: boolean;

  constructor(code: C, message: string, options: { cause?: unknown; transient?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.transient = options.transient ?? false;
  }
}
