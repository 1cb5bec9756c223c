import { createServer, connect, type Server, type Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** Bytes that crossed the proxy, as TCP payload (HTTP headers and bodies alike). */
export interface WireBytes {
  /** Client → server. */
  up: number;
  /** Server → client. */
  down: number;
}

/**
 * A TCP proxy on loopback in front of a server: counts every byte each way, and can slow the
 * client → server direction to a rate (bytes per second) so that a test can stop a client in the
 * middle of an upload. When either side closes, the other is destroyed at once: nothing the
 * proxy still holds reaches the server after the client is gone.
 */
export class CountingProxy {
  readonly bytes: WireBytes = { up: 0, down: 0 };
  /** Bytes per second client → server; 0 = unlimited. */
  rate = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(targetPort: number): Promise<CountingProxy> {
    let proxy: CountingProxy | null = null;
    const server = createServer((client) => proxy?.connect(client, targetPort));
    proxy = new CountingProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Counters back to zero (between captures). */
  reset(): void {
    this.bytes.up = 0;
    this.bytes.down = 0;
  }

  connect(client: Socket, port: number): void {
    const upstream = connect(port, '127.0.0.1');
    this.#sockets.add(client).add(upstream);
    const throttle = this.#throttle((n) => { this.bytes.up += n; });
    const drop = (): void => { client.destroy(); upstream.destroy(); throttle.destroy(); this.#sockets.delete(client); this.#sockets.delete(upstream); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    throttle.on('error', drop);
    client.pipe(throttle).pipe(upstream);
    upstream.on('data', (d: Buffer) => { this.bytes.down += d.byteLength; });
    upstream.pipe(client);
  }

  #throttle(count: (n: number) => void): Transform {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the rate may change while a connection is open
    const proxy = this;
    return new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
        const wait = proxy.rate > 0 ? (chunk.byteLength / proxy.rate) * 1000 : 0;
        void sleep(wait).then(() => {
          if (this.destroyed) return;
          count(chunk.byteLength);
          done(null, chunk);
        });
      },
    });
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
