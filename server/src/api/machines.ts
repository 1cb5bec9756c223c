import { Router } from 'express';
import { MACHINE_JOB_ACTIONS } from '@rackcast/wire';
import { z } from 'zod';
import { normaliseMac, type MachineRegistry } from '../machine/index.js';
import { parseBody } from './images.js';

export const JobBody = z.object({ action: z.enum(MACHINE_JOB_ACTIONS) }).strict();

/** /api/machines: every machine the server knows, one machine, and setting its job. */
export function machinesRouter(machines: MachineRegistry): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.json({ machines: machines.list() });
  });
  router.get('/:mac', (req, res) => {
    res.json({ machine: machines.get(normaliseMac(req.params.mac)) });
  });
  router.put('/:mac/job', async (req, res) => {
    const body = parseBody(JobBody, req.body);
    res.json({ machine: await machines.setJob(normaliseMac(req.params.mac), body.action) });
  });
  return router;
}
