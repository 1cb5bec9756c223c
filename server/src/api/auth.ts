import { Router } from 'express';
import { z } from 'zod';
import { clearedSessionCookie, principalOf, readCookie, SESSION_COOKIE, sessionCookie, type AuthService } from '../auth/index.js';
import { RackcastError } from '../errors.js';
import { parseBody } from './images.js';

export const LoginBody = z.object({ username: z.string().min(1).max(128), password: z.string().min(1).max(1024) }).strict();

/** /api/auth: the dashboard's login and logout (a cookie), and who the caller is. */
export function authRouter(auth: AuthService): Router {
  const router = Router();
  router.post('/login', async (req, res) => {
    const ip = req.socket.remoteAddress ?? '';
    const entry = (actor: string, status: number, role: string | null) =>
      auth.record({ at: new Date().toISOString(), actor, via: status === 200 ? 'session' : 'none', role, action: 'POST /api/auth', target: '/api/auth/login', status, ip });
    const wait = auth.loginFailures.retryAfterSeconds(ip);
    if (wait > 0) {
      entry('-', 429, null);
      res.setHeader('retry-after', String(wait));
      throw new RackcastError('RC_ERR_AUTH_RATE_LIMITED', `too many failed logins from this address: wait ${wait} s and try again`, { retryAfterSeconds: wait });
    }
    const body = parseBody(LoginBody, req.body);
    const user = await auth.accounts.checkLogin(body.username, body.password);
    if (!user) {
      auth.loginFailures.fail(ip);
      entry(body.username.slice(0, 64), 401, null);
      throw new RackcastError('RC_ERR_AUTH_FAILED', 'wrong user name or password');
    }
    entry(user.name, 200, user.role);
    res.setHeader('set-cookie', sessionCookie(auth.logins.create(user.name)));
    res.json({ user: { name: user.name, role: user.role } });
  });
  router.post('/logout', (req, res) => {
    const session = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (session) auth.logins.end(session);
    res.setHeader('set-cookie', clearedSessionCookie());
    res.status(204).end();
  });
  router.get('/me', (_req, res) => {
    const principal = principalOf(res);
    if (!principal) throw new RackcastError('RC_ERR_UNAUTHENTICATED', 'log in or send an API token: Authorization: Bearer <token>');
    res.json({ user: { name: principal.name, role: principal.role }, via: principal.via });
  });
  return router;
}
