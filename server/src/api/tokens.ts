import { Router } from 'express';
import { z } from 'zod';
import { principalOf, ROLES, type AuthService } from '../auth/index.js';
import { RackcastError } from '../errors.js';
import { parseBody } from './images.js';

export const CreateBody = z.object({ name: z.string().min(1).max(64), role: z.enum(ROLES) }).strict();

/** /api/tokens (admin): API tokens for scripts; the secret is answered once, only its SHA-256 is kept. */
export function tokensRouter(auth: AuthService): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.json({ tokens: auth.accounts.listTokens() });
  });
  router.post('/', async (req, res) => {
    const body = parseBody(CreateBody, req.body);
    const creator = principalOf(res);
    if (!creator) throw new RackcastError('RC_ERR_UNAUTHENTICATED', 'log in or send an API token: Authorization: Bearer <token>');
    res.status(201).json(await auth.accounts.createToken(creator, body.name, body.role));
  });
  router.delete('/:id', async (req, res) => {
    res.json({ token: await auth.accounts.removeToken(req.params.id) });
  });
  return router;
}
