import { Router } from 'express';
import { MAX_AUDIT_QUERY, type AuthService } from '../auth/index.js';
import { RackcastError } from '../errors.js';

/** /api/audit (admin): the newest audit entries first; `?limit=N` (1-1000, default 100). */
export function auditRouter(auth: AuthService): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const text = req.query['limit'];
    const limit = text === undefined ? 100 : Number(text);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_AUDIT_QUERY) {
      throw new RackcastError('RC_ERR_BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_AUDIT_QUERY}`);
    }
    res.json({ entries: await auth.audit.newest(limit) });
  });
  return router;
}
