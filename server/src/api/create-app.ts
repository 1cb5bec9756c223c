import express, { type Express } from 'express';
import type { DeployRegistry } from '../deploy/index.js';
import type { Logger } from '../log.js';
import type { MachineRegistry } from '../machine/index.js';
import type { SessionRegistry } from '../session/index.js';
import type { ImageStore } from '../store/index.js';
import { agentRouter } from './agent.js';
import { deploysRouter } from './deploys.js';
import { bootRouter, type BootRoutesOptions } from './boot.js';
import { capturesRouter } from './captures.js';
import { errorHandler, notFound } from './error-handler.js';
import { imagesRouter } from './images.js';
import { machinesRouter } from './machines.js';
import { sessionsRouter } from './sessions.js';
import { storeRouter } from './store.js';
import { uiRouter } from './ui.js';

export interface AppDependencies {
  readonly store: ImageStore;
  readonly sessions: SessionRegistry;
  readonly machines: MachineRegistry;
  /** Deploys (POST /api/deploys; members shown under /api/sessions/:id). */
  readonly deploys?: DeployRegistry;
  /** iPXE scripts and boot files under /boot. */
  readonly boot: BootRoutesOptions;
  readonly log: Logger;
  /** Software version for the health answer, e.g. "0.1.0". */
  readonly version: string;
  /** The dashboard's build served at `/`; default server/ui/dist. */
  readonly uiDir?: string;
}

/** The HTTP application: the REST API under /api. Later: boot files, the web UI. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.get('/api/health', (_req, res) => {
    res.json({ status: 'ok', version: deps.version, uptimeSeconds: Math.round(process.uptime()) });
  });
  app.use('/api/images', imagesRouter(deps.store));
  app.use('/api/store', storeRouter(deps.store));
  app.use('/api/captures', capturesRouter(deps.store, deps.log));
  app.use('/api/sessions', sessionsRouter(deps.sessions, deps.deploys));
  if (deps.deploys) app.use('/api/deploys', deploysRouter(deps.deploys, deps.sessions));
  app.use('/api/machines', machinesRouter(deps.machines));
  app.use('/api/agent', agentRouter(deps.machines));
  app.use('/boot', bootRouter(deps.machines, deps.boot, deps.log));
  app.use('/api', notFound);
  app.use(uiRouter(deps.uiDir));
  app.use(errorHandler(deps.log));
  return app;
}
