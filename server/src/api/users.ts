import { Router } from 'express';
import { z } from 'zod';
import { ROLES, type AuthService } from '../auth/index.js';
import { RackcastError } from '../errors.js';
import { parseBody } from './images.js';

export const CreateBody = z.object({ name: z.string().min(1).max(64), password: z.string(), role: z.enum(ROLES) }).strict();
export const UpdateBody = z.object({ password: z.string().optional(), role: z.enum(ROLES).optional() }).strict()
  .refine((b) => b.password !== undefined || b.role !== undefined, 'give a new password, a new role, or both');

function nameParam(text: string | undefined): string {
  if (!text || text.length > 64) throw new RackcastError('RC_ERR_BAD_REQUEST', 'a user name is 1-64 characters');
  return text;
}

/** /api/users (admin): accounts for people; passwords are kept only as scrypt hashes. */
export function usersRouter(auth: AuthService): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.json({ users: auth.accounts.listUsers() });
  });
  router.post('/', async (req, res) => {
    const body = parseBody(CreateBody, req.body);
    res.status(201).json({ user: await auth.accounts.addUser(body.name, body.password, body.role) });
  });
  router.put('/:name', async (req, res) => {
    const body = parseBody(UpdateBody, req.body);
    res.json({ user: await auth.accounts.updateUser(nameParam(req.params.name), { ...(body.password !== undefined ? { password: body.password } : {}), ...(body.role ? { role: body.role } : {}) }) });
  });
  router.delete('/:name', async (req, res) => {
    res.json({ user: await auth.accounts.removeUser(nameParam(req.params.name)) });
  });
  return router;
}
