import { posix } from 'node:path';
import type { Role } from './roles.js';

/** What a request needs: nothing (public or authenticated by its own agent token), or an account role. */
export type Access = 'public' | Role;

/**
 * Routes that machines call with their own credentials (machine token, capture token, receiver
 * token) or that must work before anyone logs in. Each is matched on the whole path.
 */
const PUBLIC_ROUTES: ReadonlyArray<readonly [method: string, path: RegExp]> = [
  ['GET', /^\/api\/health$/],
  ['GET', /^\/api\/openapi\.json$/],
  ['POST', /^\/api\/auth\/login$/],
  ['POST', /^\/api\/auth\/logout$/],
  ['*', /^\/api\/agent(\/.*)?$/],
  ['*', /^\/api\/captures\/agent(\/.*)?$/],
  ['POST', /^\/api\/sessions\/[^/]+\/receivers$/],
  ['GET', /^\/api\/sessions\/[^/]+\/manifest$/],
  ['GET', /^\/api\/sessions\/[^/]+\/blocks\/[^/]+$/],
];

const ADMIN_PREFIXES = ['/api/users', '/api/tokens', '/api/audit'];

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * The path as the router may match it: express matches case-insensitively and tolerates
 * repeated slashes, so `/API//users` must not slip past a check written for `/api/users`.
 * Percent-escapes are decoded and dot segments resolved too (the strictest reading wins);
 * a malformed escape leaves the text as it was.
 */
function normalisePath(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // keep the raw text: the router will refuse it anyway
  }
  return posix.normalize(decoded.toLowerCase());
}

/**
 * The access policy of the HTTP server, as one pure function of method and path. Outside /api
 * and /metrics everything is public (boot files for firmware, the dashboard's static files);
 * inside, reading needs a viewer, changing needs an operator, and accounts, tokens and the
 * audit log need an admin whatever the method.
 */
export function requiredAccess(method: string, rawPath: string): Access {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  const path = normalisePath(rawPath);
  if (!under(path, '/api') && !under(path, '/metrics')) return 'public';
  // An escaped or dotted path is never public: the public patterns are checked on plain text only.
  const plain = !/%|\/\.\.?(\/|$)/.test(rawPath);
  if (plain && PUBLIC_ROUTES.some(([routeMethod, pattern]) => (routeMethod === '*' || routeMethod === m) && pattern.test(path))) return 'public';
  if (ADMIN_PREFIXES.some((prefix) => under(path, prefix))) return 'admin';
  return m === 'GET' || m === 'OPTIONS' ? 'viewer' : 'operator';
}

/** True for methods that change something; those are written to the audit log. */
export function isMutating(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
}
