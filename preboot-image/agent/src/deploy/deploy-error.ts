import { AgentError } from '../agent-error.js';

/** A deploy step failed or refused; `code` is the RC_ERR_* name the server records with the member. */
export class DeployError extends AgentError {
  override readonly name = 'DeployError';
}

/** The code and message a failure reaches the server with: the error's own RC_ERR_* code, else a generic one. */
export function failureOf(err: unknown): { code: string; message: string } {
  const own = (err as { code?: unknown } | null)?.code;
  const code = typeof own === 'string' && /^RC_ERR_[A-Z0-9_]+$/.test(own) ? own : 'RC_ERR_DEPLOY_AGENT';
  const message = err instanceof Error ? err.message : String(err);
  return { code, message: message.slice(0, 1000) };
}
