import { Router } from 'express';
import { z } from 'zod';
import { RackcastError } from '../errors.js';
import type { RestoreRegistry, RestoreRequest } from '../restore/index.js';
import { parseTimeSelector } from '../store/index.js';
import { parseBitRate } from './bit-rate.js';
import { parseBody } from './images.js';

export const RestoreBody = z.object({
  /** The source machine: boot MAC or captured host name. */
  machine: z.string().min(1).max(253),
  image: z.string().min(1).max(64).optional(),
  version: z.number().int().min(1).optional(),
  /** ISO 8601: the latest version at or before it. */
  at: z.string().min(1).max(64).optional(),
  /** The target's boot MAC; default the machine itself. */
  onto: z.string().min(1).max(64).optional(),
  rate: z.union([z.string(), z.number()]).optional(),
  dryRun: z.boolean().optional(),
}).strict();

function idParam(text: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw new RackcastError('RC_ERR_RESTORE_NOT_FOUND', `no restore ${JSON.stringify(text.slice(0, 20))}`);
  return Number(text);
}

/** The request from the body: a version, a point in time, or the latest. */
function restoreRequest(body: z.infer<typeof RestoreBody>): RestoreRequest {
  if (body.version !== undefined && body.at !== undefined) throw new RackcastError('RC_ERR_BAD_REQUEST', 'give a version or a time (at), not both');
  const selector = body.at !== undefined ? parseTimeSelector(body.at) : null;
  const point = body.version !== undefined ? { version: body.version } : selector !== null && typeof selector === 'object' ? { at: selector.at } : 'latest' as const;
  return {
    machine: body.machine, point,
    ...(body.image !== undefined ? { image: body.image } : {}), ...(body.onto !== undefined ? { onto: body.onto } : {}),
    ...(body.rate !== undefined ? { rateBps: parseBitRate(body.rate) } : {}),
  };
}

/**
 * /api/restores: one-touch recovery (docs/restore.md). POST plans (dryRun) or starts a restore;
 * its progress is its deploy session's, under /api/sessions/:session as well.
 */
export function restoresRouter(restores: RestoreRegistry): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = parseBody(RestoreBody, req.body);
    const request = restoreRequest(body);
    if (body.dryRun) {
      res.json({ restore: await restores.dryRun(request) });
      return;
    }
    res.status(201).json({ restore: await restores.start(request) });
  });
  router.get('/', (_req, res) => {
    res.json({ restores: restores.list() });
  });
  router.get('/:id', (req, res) => {
    res.json({ restore: restores.view(idParam(req.params.id)) });
  });
  return router;
}
