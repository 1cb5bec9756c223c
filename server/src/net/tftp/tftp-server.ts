import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  TftpErrorCode, TftpOpcode, decodeTftpPacket, encodeNetascii, encodeTftpPacket, isWireError, parseTftpOptions,
  type TftpErrorCodeId, type TftpRequest,
} from '@rackcast/wire';
import { RackcastError, hasCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { FolderFileSource, WHOLE_FILE_LIMIT, type FolderFileSourceOptions } from './folder-file-source.js';
import { planTransfer } from './negotiate.js';
import { memoryFile, type TftpClient, type TftpFile, type TftpFileSource } from './tftp-file.js';
import { TftpTransfer, type TransferOutcome, type TransferResult, type TransferTiming } from './tftp-transfer.js';

/*
 * Rackcast's own TFTP server, read-only by design. The `tftp` npm package was evaluated
 * (research/deps.md §2) and turned down: it accepts uploads unless told not to, ran at about
 * half of tftpd-hpa's speed, and aborted 6 of 9 transfers under 1 % loss. Serving the iPXE
 * binaries needs only RRQ with blksize, tsize, timeout and windowsize; that is this folder.
 */

export interface TftpServerOptions {
  /** Address to listen on: the boot address (unicast suffices for TFTP). Example: "10.0.0.1" */
  readonly host: string;
  /** UDP port; 0 picks a free one. Example: 69 */
  readonly port: number;
  /** Transfers at once; further requests are dropped (the client asks again). Example: 64 */
  readonly maxTransfers?: number;
  /** Largest blksize granted (RFC 2348). Example: 1468 */
  readonly maxBlockSize?: number;
  /** Largest windowsize granted (RFC 7440). Example: 16 */
  readonly maxWindowSize?: number;
  /** Retransmission settings; defaults suit a LAN. */
  readonly timing?: Partial<TransferTiming>;
  /** Told how each request ended (a repeated RRQ is not a new request), for the server's metrics. */
  readonly onRequest?: (outcome: TftpRequestOutcome) => void;
}

/**
 * How a request ended: a transfer's own outcome, or why none ran (malformed datagram, write
 * request, too many transfers, file not found, outside the folder, refused mode or size).
 */
export type TftpRequestOutcome = TransferOutcome | 'malformed' | 'write refused' | 'busy' | 'not found' | 'access denied' | 'refused';

const DEFAULT_TIMING: TransferTiming = { initialRetransmitMs: 1000, minRetransmitMs: 50, maxRetransmitMs: 5000, retries: 10, oackRetransmitMs: 6000 };

interface TransferEntry {
  /** The request as sent, to tell a retransmitted RRQ from a new one on the same port. */
  readonly request: string;
  transfer: TftpTransfer | null;
  superseded: boolean;
}

function requestIdentity(r: TftpRequest): string {
  return [r.filename, r.mode, ...r.options.flatMap((o) => [o.name, o.value])].join('\0');
}

/** A refusal of the request as a TFTP ERROR, and how loudly to log it. */
function refusalOf(err: unknown): { code: TftpErrorCodeId; message: string; level: 'info' | 'warn' | 'error'; msg: string; outcome: TftpRequestOutcome } {
  if (hasCode(err, 'RC_ERR_TFTP_FILE_NOT_FOUND')) return { code: TftpErrorCode.FileNotFound, message: 'File not found', level: 'info', msg: 'tftp file not found', outcome: 'not found' };
  if (hasCode(err, 'RC_ERR_TFTP_ACCESS_DENIED')) return { code: TftpErrorCode.AccessViolation, message: 'Access violation', level: 'warn', msg: 'tftp request outside the folder refused', outcome: 'access denied' };
  if (hasCode(err, 'RC_ERR_BAD_REQUEST')) return { code: TftpErrorCode.NotDefined, message: (err as Error).message, level: 'info', msg: 'tftp request refused', outcome: 'refused' };
  return { code: TftpErrorCode.NotDefined, message: 'server error', level: 'error', msg: 'tftp request failed', outcome: 'failed' };
}

/** Netascii is converted whole, in memory; only small files (which is what it is for). */
async function asNetascii(file: TftpFile): Promise<TftpFile> {
  try {
    if (file.size > WHOLE_FILE_LIMIT) throw new RackcastError('RC_ERR_BAD_REQUEST', 'netascii only for files up to 4 MiB; use octet', { size: file.size });
    return memoryFile(encodeNetascii(file.bytes ?? await file.read(0, file.size)));
  } finally {
    await file.close();
  }
}

/**
 * Listens for requests on one address and port and runs each read on its own transfer
 * socket. Read-only: a WRQ gets ERROR 2. A bad datagram costs one log line and is dropped;
 * only a failure of the listening socket stops the service (see `failure`).
 */
export class TftpServer {
  /** Settles (never rejects) if the listening socket fails after start; main decides what then. */
  readonly failure: Promise<Error>;
  readonly #socket: Socket;
  readonly #source: TftpFileSource;
  readonly #log: Logger;
  readonly #host: string;
  readonly #maxTransfers: number;
  readonly #limits: { maxBlockSize: number; maxWindowSize: number };
  readonly #timing: TransferTiming;
  readonly #count: (outcome: TftpRequestOutcome) => void;
  readonly #transfers = new Map<string, TransferEntry>();
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  private constructor(socket: Socket, options: TftpServerOptions, source: TftpFileSource, log: Logger) {
    this.#socket = socket;
    this.#source = source;
    this.#log = log;
    this.#host = options.host;
    this.#maxTransfers = options.maxTransfers ?? 64;
    this.#limits = { maxBlockSize: options.maxBlockSize ?? 65464, maxWindowSize: options.maxWindowSize ?? 64 };
    this.#timing = { ...DEFAULT_TIMING, ...options.timing };
    this.#count = options.onRequest ?? (() => undefined);
    this.failure = new Promise((resolve) => {
      socket.on('error', (err) => {
        log.error({ err }, 'tftp listening socket failed');
        resolve(err);
      });
    });
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
  }

  /** Binds the listening socket; rejects with RC_ERR_TFTP_LISTEN when the port is taken. */
  static async start(options: TftpServerOptions, source: TftpFileSource, log: Logger): Promise<TftpServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(new RackcastError('RC_ERR_TFTP_LISTEN', `cannot listen for TFTP on ${options.host}:${options.port} (${err.message}); stop the other TFTP server (tftpd-hpa, dnsmasq) or set tftp.port`, { host: options.host, port: options.port }, { cause: err }));
      });
      socket.bind(options.port, options.host, () => resolve());
    });
    socket.removeAllListeners('error');
    const server = new TftpServer(socket, options, source, log);
    log.info({ ip: server.address.address, port: server.address.port }, 'tftp server listening');
    return server;
  }

  get address(): { address: string; port: number } {
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  /** Transfers being opened or running. */
  get transfers(): number {
    return this.#transfers.size;
  }

  /** Stops listening, ends every transfer (telling its client) and waits for them. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    for (const entry of this.#transfers.values()) {
      entry.superseded = true;
      entry.transfer?.abort('server stopping', 'server stopping');
    }
    await Promise.all([...this.#running]);
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const client: TftpClient = { ip: rinfo.address, port: rinfo.port };
    let packet;
    try {
      packet = decodeTftpPacket(msg);
    } catch (err) {
      if (!isWireError(err)) throw err;
      this.#log.debug({ ...client, reason: err.message }, 'tftp request malformed');
      this.#count('malformed');
      return;
    }
    if (packet.opcode === TftpOpcode.ReadRequest) this.#onRead(packet, client);
    else if (packet.opcode === TftpOpcode.WriteRequest) {
      this.#log.warn({ ...client, file: packet.filename }, 'tftp write request refused');
      this.#count('write refused');
      this.#reply(client, TftpErrorCode.AccessViolation, 'Access violation: read-only server');
    } else this.#log.debug({ ...client, opcode: packet.opcode }, 'tftp packet unexpected on the listening port');
  }

  #reply(client: TftpClient, code: TftpErrorCodeId, message: string): void {
    if (!this.#closed) this.#socket.send(encodeTftpPacket({ opcode: TftpOpcode.Error, code, message }), client.port, client.ip);
  }

  #onRead(request: TftpRequest, client: TftpClient): void {
    const key = `${client.ip}:${client.port}`;
    const request_ = requestIdentity(request);
    const existing = this.#transfers.get(key);
    if (existing !== undefined && existing.request === request_) {
      // The client sent its RRQ again: our first packet was lost or is slow.
      const resent = existing.transfer !== null && !existing.transfer.progressed;
      if (resent) existing.transfer?.resendFirst();
      this.#log.debug({ ...client, file: request.filename, resent }, 'tftp repeated request');
      return;
    }
    if (existing !== undefined) {
      // Same port, another request: the client started over; the old transfer is dead to it.
      existing.superseded = true;
      existing.transfer?.abort('client sent a new request from the same port');
      this.#transfers.delete(key);
    } else if (this.#transfers.size >= this.#maxTransfers) {
      this.#log.warn({ ...client, file: request.filename, transfers: this.#transfers.size }, 'tftp busy, request dropped');
      this.#count('busy');
      return;
    }
    const entry: TransferEntry = { request: request_, transfer: null, superseded: false };
    this.#transfers.set(key, entry);
    const running = this.#serve(request, client, entry).finally(() => {
      if (this.#transfers.get(key) === entry) this.#transfers.delete(key);
      this.#running.delete(running);
    });
    this.#running.add(running);
  }

  /** One RRQ from open to the end of its transfer; never rejects. */
  async #serve(request: TftpRequest, client: TftpClient, entry: TransferEntry): Promise<void> {
    const log = this.#log.child({ ...client, file: request.filename });
    if (request.mode !== 'octet' && request.mode !== 'netascii') {
      log.info({ mode: request.mode }, 'tftp transfer mode refused');
      this.#reply(client, TftpErrorCode.IllegalOperation, 'Illegal TFTP operation: mode must be octet or netascii');
      this.#count('refused');
      return;
    }
    const { requested, problems } = parseTftpOptions(request.options);
    if (problems.length > 0) log.debug({ problems }, 'tftp options ignored');
    try {
      const opened = await this.#source.open(request.filename, client);
      const file = request.mode === 'netascii' ? await asNetascii(opened) : opened;
      if (entry.superseded) {
        await file.close();
        this.#count('aborted');
        return;
      }
      const plan = planTransfer(requested, this.#limits, request.mode === 'octet' ? file.size : null);
      const started = performance.now();
      entry.transfer = await TftpTransfer.start({ client, host: this.#host, file, plan, timing: this.#timing }, log);
      log.debug({ size: file.size, blksize: plan.blockSize, windowsize: plan.windowSize, oack: plan.oack.length > 0 }, 'tftp transfer started');
      const result = await entry.transfer.finished;
      this.#logResult(log, result, file.size, performance.now() - started);
      this.#count(result.outcome);
    } catch (err) {
      const refusal = refusalOf(err);
      log[refusal.level]({ reason: (err as { details?: { reason?: string } }).details?.reason ?? (err as Error).message, ...(refusal.level === 'error' ? { err } : {}) }, refusal.msg);
      this.#reply(client, refusal.code, refusal.message);
      this.#count(refusal.outcome);
    }
  }

  #logResult(log: Logger, result: TransferResult, size: number, ms: number): void {
    const fields = { size, ms: Math.round(ms), blocksSent: result.blocksSent, timeouts: result.timeouts, staleAcks: result.staleAcks, detail: result.detail };
    if (result.outcome === 'complete') log.info(fields, 'tftp transfer complete');
    else if (result.outcome === 'unconfirmed') log.info(fields, 'tftp transfer sent, last ack missing');
    else log.warn({ ...fields, outcome: result.outcome }, 'tftp transfer ended early');
  }
}

/** What main passes: where to listen, which folder to serve, and the `tftp` config keys. */
export interface TftpServiceOptions extends TftpServerOptions, FolderFileSourceOptions {}

/** Starts a read-only TFTP server for one folder (boot.ipxeDir). Close it with `close()`. */
export async function startTftpServer(options: TftpServiceOptions, log: Logger): Promise<TftpServer> {
  const source = await FolderFileSource.create(options);
  return TftpServer.start(options, source, log);
}
