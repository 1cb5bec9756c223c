import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

export interface HttpServerOptions {
  /** Address to listen on, e.g. "127.0.0.1". */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  readonly keepAliveTimeoutSeconds: number;
}

/** A listening HTTP server and how to reach and stop it. */
export interface RunningHttpServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Starts an HTTP server for `handler`; resolves once it listens. */
export async function startHttpServer(handler: RequestListener, options: HttpServerOptions, log: Logger): Promise<RunningHttpServer> {
  const server = createServer(handler);
  // Slow preboot clients pause long between reads; the 5 s default cut their downloads.
  server.keepAliveTimeout = options.keepAliveTimeoutSeconds * 1000;
  server.headersTimeout = (options.keepAliveTimeoutSeconds + 5) * 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info({ url }, 'http server listening');
  return {
    url,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
