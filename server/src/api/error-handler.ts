import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isWireError } from '@rackcast/wire';
import { RackcastError } from '../errors.js';
import type { Logger } from '../log.js';

/** The JSON body of every API error: a stable code and a message for a person. */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: Readonly<Record<string, unknown>> };
}

/** Maps errors to HTTP: RackcastError by its code, malformed input to 400, the rest to 500. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const { status, body } = toResponse(err);
    if (status >= 500) log.error({ err, path: req.path }, 'request failed');
    else log.debug({ code: body.error.code, path: req.path }, 'request refused');
    res.status(status).json(body);
  };
}

function toResponse(err: unknown): { status: number; body: ApiErrorBody } {
  if (err instanceof RackcastError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, details: err.details } } };
  }
  if (isWireError(err)) return { status: 400, body: { error: { code: err.code, message: err.message } } };
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // body-parser: malformed JSON, body too large
    return { status, body: { error: { code: 'RC_ERR_BAD_REQUEST', message: (err as Error).message } } };
  }
  return { status: 500, body: { error: { code: 'RC_ERR_INTERNAL', message: 'internal error; see the server log' } } };
}

/** 404 for any /api path no router took. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new RackcastError('RC_ERR_NOT_FOUND', `no API route ${req.method} ${req.path}`));
};
