import express, { type Express } from 'express';
import { authenticate, type AuthService } from '../auth/index.js';
import type { DeployRegistry } from '../deploy/index.js';
import type { Logger } from '../log.js';
import type { MachineRegistry } from '../machine/index.js';
import { ServerMetrics } from '../metrics/index.js';
import type { SessionRegistry } from '../session/index.js';
import type { ImageStore } from '../store/index.js';
import { agentRouter } from './agent.js';
import { auditRouter } from './audit.js';
import { authRouter } from './auth.js';
import { deploysRouter } from './deploys.js';
import { bootRouter, type BootRoutesOptions } from './boot.js';
import { captureJobRouter, capturesRouter } from './captures.js';
import type { CaptureJobs, CaptureRegistry } from '../capture/index.js';
import { errorHandler, notFound } from './error-handler.js';
import { imagesRouter } from './images.js';
import { machinesRouter } from './machines.js';
import { metricsRouter } from './metrics.js';
import { openApiHandler } from './openapi/index.js';
import type { RestoreRegistry } from '../restore/index.js';
import { restoresRouter } from './restores.js';
import { sessionsRouter } from './sessions.js';
import { storeRouter } from './store.js';
import { tokensRouter } from './tokens.js';
import { uiRouter } from './ui.js';
import { usersRouter } from './users.js';

export interface AppDependencies {
  readonly store: ImageStore;
  readonly sessions: SessionRegistry;
  readonly machines: MachineRegistry;
  /** Accounts, tokens and the audit log: every technician route needs a credential (auth/route-policy.ts). */
  readonly auth: AuthService;
  /** Deploys (POST /api/deploys; members shown under /api/sessions/:id). */
  readonly deploys?: DeployRegistry;
  /** Captures, shared with the capture jobs (POST /api/machines/:machine/capture); a private registry when absent. */
  readonly captures?: CaptureRegistry;
  readonly captureJobs?: CaptureJobs;
  /** One-touch recovery (POST /api/restores; carried out as a one-member deploy). */
  readonly restores?: RestoreRegistry;
  /** iPXE scripts and boot files under /boot. */
  readonly boot: BootRoutesOptions;
  readonly log: Logger;
  /** Software version for the health answer, e.g. "0.1.0". */
  readonly version: string;
  /** The dashboard's build served at `/`; default server/ui/dist. */
  readonly uiDir?: string;
  /** GET /metrics; main passes the set DHCP and TFTP count into. A fresh set when absent. */
  readonly metrics?: ServerMetrics;
}

/** The HTTP application: the REST API under /api. Later: boot files, the web UI. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Before the body parser and every router: nothing of a refused request is read further.
  app.use(authenticate(deps.auth));
  app.use(express.json({ limit: '1mb' }));
  app.get('/api/health', (_req, res) => {
    res.json({ status: 'ok', version: deps.version, uptimeSeconds: Math.round(process.uptime()) });
  });
  app.use('/api/auth', authRouter(deps.auth));
  app.use('/api/users', usersRouter(deps.auth));
  app.use('/api/tokens', tokensRouter(deps.auth));
  app.use('/api/audit', auditRouter(deps.auth));
  app.use('/api/images', imagesRouter(deps.store));
  app.use('/api/store', storeRouter(deps.store));
  app.use('/api/captures', capturesRouter(deps.store, deps.log, deps.captures));
  app.use('/api/sessions', sessionsRouter(deps.sessions, deps.deploys));
  if (deps.deploys) app.use('/api/deploys', deploysRouter(deps.deploys, deps.sessions));
  if (deps.restores) app.use('/api/restores', restoresRouter(deps.restores));
  if (deps.captureJobs) app.use('/api/machines', captureJobRouter(deps.captureJobs));
  app.use('/api/machines', machinesRouter(deps.machines));
  app.use('/api/agent', agentRouter(deps.machines));
  app.use('/boot', bootRouter(deps.machines, deps.boot, deps.log));
  app.get('/api/openapi.json', openApiHandler(deps.version));
  const metrics = deps.metrics ?? new ServerMetrics(deps.version);
  metrics.observe({ store: deps.store, sessions: deps.sessions, machines: deps.machines, deploys: deps.deploys, captures: deps.captures });
  app.use('/metrics', metricsRouter(metrics));
  app.use('/api', notFound);
  app.use(uiRouter(deps.uiDir));
  app.use(errorHandler(deps.log));
  return app;
}
