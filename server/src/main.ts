import { chmod, unlink, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { join } from 'node:path';
import { createApp, parseBitRate } from './api/index.js';
import { AuthService } from './auth/index.js';
import { resolveBootEndpoints, type BootEndpoints } from './boot/index.js';
import { startBootServices } from './boot-services.js';
import { loadConfig, type ConfigEnv, type RackcastConfig } from './config/index.js';
import { CaptureJobs, CaptureRegistry } from './capture/index.js';
import { DeployRegistry } from './deploy/index.js';
import { RestoreRegistry } from './restore/index.js';
import { DashboardFeed } from './dashboard/index.js';
import { createLogger, type Logger } from './log.js';
import { machineChannelHandler } from './machine-channel.js';
import { MachineRegistry } from './machine/index.js';
import { ServerMetrics } from './metrics/index.js';
import { attachAgentChannel } from './net/agent-channel.js';
import { startHttpServer } from './net/http-server.js';
import { attachUiEvents } from './net/ui-events.js';
import { DEFAULT_TIMERS, SessionRegistry, type SessionTimers } from './session/index.js';
import { sessionChannelHandler } from './session-channel.js';
import { ImageStore } from './store/index.js';
import { RACKCAST_VERSION } from './version.js';

/** Written beside the store while a server holds it, so the CLI can find and use the server. */
export const SERVER_STATE_FILE = 'server.json';

/** What a running server tells the CLI about itself. */
export interface ServerState {
  readonly pid: number;
  readonly url: string;
  readonly startedAt: string;
  /** The local CLI's admin credential, new at each start (the file is mode 0600). Absent from older servers. */
  readonly localToken?: string;
}

/** A started boot server. */
export interface RunningServer {
  readonly url: string;
  readonly config: Readonly<RackcastConfig>;
  readonly store: ImageStore;
  readonly sessions: SessionRegistry;
  readonly machines: MachineRegistry;
  readonly deploys: DeployRegistry;
  /** Accounts, API tokens, logins and the audit log. */
  readonly auth: AuthService;
  /** Where machines on the boot network reach this server (from boot.* and the listening port). */
  readonly bootEndpoints: BootEndpoints;
  /** The HTTP application; its router lists the routes the OpenAPI document must cover (test/openapi.test.ts). */
  readonly app: Express;
  stop(): Promise<void>;
}

/** Opens the store from validated config; the one place store options are derived. */
export function openStore(config: Readonly<RackcastConfig>, log: Logger): Promise<ImageStore> {
  return ImageStore.open({ dir: config.store.dir, blockSize: config.store.blockSize, keepVersions: config.store.keepVersions, keepByImage: config.store.keep, log });
}

/**
 * The composition root: validated config → store → machines → HTTP (API, boot files) → DHCP
 * and TFTP on the boot network → agent channels → running; stop() closes them in reverse.
 */
export async function startServer(config: Readonly<RackcastConfig>, log: Logger, timers: SessionTimers = DEFAULT_TIMERS): Promise<RunningServer> {
  const store = await openStore(config, log);
  const m = config.multicast;
  const sessions = new SessionRegistry(store, {
    interfaceAddress: m.interface, groupBase: m.groupBase, portBase: m.portBase, ttl: m.ttl, datagramSize: m.datagramSize, rateBps: parseBitRate(m.rate),
    segmentOffload: m.segmentOffload,
  }, log, timers);
  const b = config.boot;
  const machines = await MachineRegistry.open(store, { unknownMachines: b.unknownMachines, tokenTtlMs: b.tokenTtlSeconds * 1000, log });
  const deploys = await DeployRegistry.open(store, sessions, machines, { log });
  const restores = await RestoreRegistry.open(store, machines, deploys, log);
  const captures = new CaptureRegistry(store, log);
  const captureJobs = CaptureJobs.open(captures, machines, store, log);
  const auth = await AuthService.open(store, { log });
  // Boot URLs carry the port the server really listens on (config may say 0), known after listen.
  let bootEndpoints: BootEndpoints | undefined;
  const endpoints = (): BootEndpoints => {
    if (bootEndpoints === undefined) throw new Error('boot endpoints are resolved when the HTTP server listens');
    return bootEndpoints;
  };
  const boot = { endpoints, prebootDir: b.prebootDir, ipxeDir: b.ipxeDir, kernelArgs: b.kernelArgs };
  // Prometheus metrics: DHCP and TFTP count into it as requests happen; the rest is read at scrape time.
  const metrics = new ServerMetrics(RACKCAST_VERSION);
  let app: Express;
  let http;
  try {
    app = createApp({ store, sessions, machines, deploys, restores, captures, captureJobs, auth, boot, log, version: RACKCAST_VERSION, metrics });
    http = await startHttpServer(app, config.http, log);
    bootEndpoints = resolveBootEndpoints(config, (http.server.address() as AddressInfo).port);
  } catch (err) {
    await http?.close();
    await store.close();
    throw err;
  }
  let bootServices;
  try {
    bootServices = await startBootServices(config, bootEndpoints, store, machines, log, metrics.boot);
  } catch (err) {
    await http.close();
    await machines.close();
    await store.close();
    throw err;
  }
  const detachChannel = attachAgentChannel(http.server, sessionChannelHandler(sessions), log, machineChannelHandler(machines));
  const dashboard = new DashboardFeed({ machines, sessions, deploys, store });
  const detachDashboard = attachUiEvents(http.server, dashboard, log, { authorise: dashboardAuthoriser(auth) });
  await sessions.resume();
  const statePath = join(config.store.dir, SERVER_STATE_FILE);
  const state: ServerState = { pid: process.pid, url: http.url, startedAt: new Date().toISOString(), localToken: auth.localSecret };
  // It holds an admin credential: owner-only, also when an old file (a crashed server's) is reused.
  await writeFile(statePath, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  await chmod(statePath, 0o600);
  log.info({ version: RACKCAST_VERSION, store: config.store.dir, url: http.url }, 'rackcast server started');
  return {
    url: http.url,
    config,
    store,
    sessions,
    machines,
    deploys,
    auth,
    bootEndpoints,
    app,
    async stop() {
      await bootServices.close();
      await sessions.shutdown();
      await deploys.close();
      captureJobs.close();
      await machines.close();
      detachChannel();
      detachDashboard();
      dashboard.close();
      await http.close();
      await unlink(statePath).catch(() => undefined);
      await store.close();
      log.info('rackcast server stopped');
    },
  };
}

/** The dashboard socket's check: any account (viewer or more); refusals go to the audit log. */
function dashboardAuthoriser(auth: AuthService): (req: IncomingMessage, accessToken: string | null) => boolean {
  return (req, accessToken) => {
    const principal = auth.principalOf(req.headers, accessToken);
    if (principal) return true;
    auth.record({ at: new Date().toISOString(), actor: '-', via: 'none', role: null, action: 'GET /api/events', target: '/api/events', status: 401, ip: req.socket.remoteAddress ?? '' });
    return false;
  };
}

/** `rackcast serve`: runs until SIGINT or SIGTERM, then closes everything. */
export async function serve(configFile: string | undefined, env: ConfigEnv): Promise<void> {
  const config = loadConfig(configFile, env);
  const log = createLogger(config.log.level);
  const server = await startServer(config, log);
  // The URL on stdout lets scripts and tests find a server started on port 0.
  process.stdout.write(`rackcast server listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.stop();
  log.flush();
}
