import { Router } from 'express';
import { z } from 'zod';
import { parseCidr, type DeployRegistry } from '../deploy/index.js';
import { normaliseMac } from '../machine/index.js';
import type { SessionRegistry } from '../session/index.js';
import { parseImageRef, parseTimeSelector } from '../store/index.js';
import { parseBitRate } from './bit-rate.js';
import { parseBody } from './images.js';
import { sessionSummary } from './sessions.js';

export const DeployBody = z.object({
  image: z.string().min(1),
  at: z.string().optional(),
  machines: z.array(z.string().max(64)).min(1).max(1000).optional(),
  count: z.number().int().min(1).max(1000).optional(),
  rate: z.union([z.string(), z.number()]).optional(),
  hostnamePattern: z.string().min(1).max(253).optional(),
  nics: z.enum(['boot-dhcp', 'all-dhcp']).optional(),
  static: z.object({
    first: z.string().refine((v) => parseCidr(v) !== null, 'must be an IPv4 address with prefix length, e.g. 10.0.1.21/24'),
    gateway: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address').optional(),
    dns: z.array(z.string().regex(/^[0-9a-fA-F.:]{2,45}$/, 'must be an IP address')).max(4).optional(),
  }).strict().optional(),
  dryRun: z.boolean().optional(),
}).strict();

/**
 * /api/deploys: deploy an image version to machines (docs/deploy.md). A deploy is a stream
 * session with members; it is watched under /api/sessions/:id like any session.
 */
export function deploysRouter(deploys: DeployRegistry, sessions: SessionRegistry): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = parseBody(DeployBody, req.body);
    const ref = parseImageRef(body.image);
    const request = {
      image: ref.name, version: body.at ? parseTimeSelector(body.at) : ref.version,
      ...(body.machines ? { machines: body.machines.map(normaliseMac) } : {}), ...(body.count !== undefined ? { count: body.count } : {}),
      ...(body.rate !== undefined ? { rateBps: parseBitRate(body.rate) } : {}),
      ...(body.hostnamePattern ? { hostnamePattern: body.hostnamePattern } : {}), ...(body.nics ? { nics: body.nics } : {}),
      ...(body.static ? { staticAddress: { first: body.static.first, gateway: body.static.gateway ?? '', dns: body.static.dns ?? [] } } : {}),
    };
    if (body.dryRun) {
      res.json({ dryRun: true, ...(await deploys.dryRun(request)) });
      return;
    }
    const { sessionId } = await deploys.create(request);
    res.status(201).json({ session: sessionSummary(sessions.get(sessionId), deploys) });
  });
  return router;
}
