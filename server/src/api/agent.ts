import { Router, type Request } from 'express';
import { parseAgentRegistration } from '@rackcast/wire';
import { RackcastError } from '../errors.js';
import type { MachineRegistry } from '../machine/index.js';

/** The one-time token or agent credential from `Authorization: Bearer …`. */
function agentSecret(req: Request): string {
  const secret = /^Bearer (\S{1,256})$/.exec(req.headers.authorization ?? '')?.[1];
  if (secret === undefined) throw new RackcastError('RC_ERR_MACHINE_BAD_TOKEN', 'registration needs the machine token from the kernel command line (Authorization: Bearer <token>)');
  return secret;
}

/** /api/agent: what the preboot agent calls. Its WebSocket (/api/agent/channel) is in net/agent-channel.ts. */
export function agentRouter(machines: MachineRegistry): Router {
  const router = Router();
  router.post('/register', async (req, res) => {
    const secret = agentSecret(req);
    // The body is checked before the token is looked at, so a malformed upload never uses the token up.
    const registration = parseAgentRegistration(req.body);
    res.status(201).json(await machines.register(secret, registration));
  });
  return router;
}
