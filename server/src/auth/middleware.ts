import type { Request, RequestHandler, Response } from 'express';
import { RackcastError } from '../errors.js';
import type { AuthService } from './auth-service.js';
import { isMutating, requiredAccess } from './route-policy.js';
import { roleAtLeast, type Principal } from './roles.js';

/** The principal the middleware found for this request (null on public routes without credentials). */
export function principalOf(res: Response): Principal | null {
  return (res.locals['principal'] as Principal | undefined) ?? null;
}

/** "POST /api/deploys" for POST /api/deploys/…: the method and the resource, for reading the log by kind. */
function actionOf(method: string, path: string): string {
  const resource = path.split('/').slice(0, 3).join('/');
  return `${method} ${resource}`;
}

function clientAddress(req: Request): string {
  return req.socket.remoteAddress ?? '';
}

/**
 * Authenticates and authorises every request by route-policy.ts before any router runs: a
 * public route passes; otherwise no valid credentials is 401 and too small a role is 403.
 * Writes the audit log when the response finishes: each authenticated change, and each 401
 * or 403 under /api (login records its own attempts).
 */
export function authenticate(auth: AuthService): RequestHandler {
  return (req, res, next) => {
    // Read now: once a mounted router has run, Express has cut its prefix off req.path.
    const path = req.path;
    const access = requiredAccess(req.method, path);
    const query = typeof req.query['access_token'] === 'string' ? req.query['access_token'] : null;
    const principal = auth.principalOf(req.headers, query);
    res.locals['principal'] = principal;
    if (path.startsWith('/api/') && path !== '/api/auth/login') {
      res.once('finish', () => {
        const refused = res.statusCode === 401 || res.statusCode === 403;
        if (!refused && !(principal && access !== 'public' && isMutating(req.method))) return;
        auth.record({
          at: new Date().toISOString(), actor: principal?.name ?? '-', via: principal?.via ?? 'none', role: principal?.role ?? null,
          action: actionOf(req.method, path), target: path, status: res.statusCode, ip: clientAddress(req),
        });
      });
    }
    if (access === 'public') {
      next();
      return;
    }
    if (!principal) {
      next(new RackcastError('RC_ERR_UNAUTHENTICATED', 'log in or send an API token: Authorization: Bearer <token> (rackcast token create, or RACKCAST_TOKEN for the CLI)'));
      return;
    }
    if (!roleAtLeast(principal.role, access)) {
      next(new RackcastError('RC_ERR_FORBIDDEN', `${req.method} ${req.path} needs the ${access} role; ${principal.name} holds ${principal.role}`, { needed: access, held: principal.role }));
      return;
    }
    next();
  };
}
