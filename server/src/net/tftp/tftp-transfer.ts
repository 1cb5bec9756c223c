import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { TftpErrorCode, TftpOpcode, decodeTftpPacket, encodeTftpDataHeader, encodeTftpPacket, isWireError } from '@rackcast/wire';
import type { Logger } from '../../log.js';
import { BlockReader } from './block-reader.js';
import type { TransferPlan } from './negotiate.js';
import { RetransmitClock, type RetransmitClockOptions } from './retransmit-clock.js';
import { SendWindow } from './send-window.js';
import type { TftpClient, TftpFile } from './tftp-file.js';

/** Retransmission settings shared by every transfer of a server. */
export interface TransferTiming {
  /** Interval before the first round-trip sample, ms. Example: 1000 */
  readonly initialRetransmitMs: number;
  /** Floor of the adaptive interval, ms. Example: 50 */
  readonly minRetransmitMs: number;
  /** Ceiling after backing off, ms. Example: 5000 */
  readonly maxRetransmitMs: number;
  /** Timeouts in a row without progress before the transfer is given up. Example: 10 */
  readonly retries: number;
  /**
   * Wait before the server itself sends an unanswered OACK again, when the client did not
   * negotiate a timeout, ms (see #oackWaitMs). Example: 6000
   */
  readonly oackRetransmitMs: number;
}

export interface TftpTransferOptions {
  readonly client: TftpClient;
  /** Local address the transfer's socket binds to (its port is the server's TID). */
  readonly host: string;
  /** The file as it is sent (netascii already converted); the transfer closes it. */
  readonly file: TftpFile;
  readonly plan: TransferPlan;
  readonly timing: TransferTiming;
}

/**
 * `unconfirmed`: the last block went out but its ACK never came; the client usually has the
 * whole file and simply exited (a client does not wait for the server after its last ACK).
 */
export type TransferOutcome = 'complete' | 'unconfirmed' | 'timed out' | 'client error' | 'client gone' | 'failed' | 'aborted';

/** How a transfer ended, for the server's log line. */
export interface TransferResult {
  readonly outcome: TransferOutcome;
  /** DATA packets sent, retransmissions included. */
  readonly blocksSent: number;
  /** Timeouts that made the server send again. */
  readonly timeouts: number;
  /** ACKs that moved nothing (duplicates, stale ones). */
  readonly staleAcks: number;
  /** What the client said (its ERROR) or what failed. */
  readonly detail?: string;
}

type Phase = 'oack' | 'data' | 'ended';

/**
 * NOTE: a timeout the client negotiated (RFC 2349, "seconds to wait before retransmitting")
 * is answered in the OACK and then bounds the interval from above: the server never waits
 * longer than agreed, but retransmits as soon as its round-trip estimate says a packet is
 * lost. curl asks for 5 s; taken literally that costs 5 s per lost packet, and a client has to
 * take a duplicate block in its stride anyway (RFC 1350 §2).
 */
function clockOptions(t: TransferTiming, timeoutSeconds: number | null): RetransmitClockOptions {
  const ceiling = timeoutSeconds === null ? t.maxRetransmitMs : Math.min(t.maxRetransmitMs, timeoutSeconds * 1000);
  return { initialMs: Math.min(t.initialRetransmitMs, ceiling), minMs: Math.min(t.minRetransmitMs, ceiling), maxMs: ceiling };
}

function bindAndConnect(socket: Socket, host: string, client: TftpClient): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.connect(client.port, client.ip, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  });
}

/**
 * One read transfer on its own socket (a fresh TID, RFC 1350 §4). The socket is connected to
 * the client, so the kernel drops datagrams from any other port or address; RFC 1350 would
 * answer those with ERROR 5, which helps nobody on a boot network and costs a lookup per packet.
 *
 * OACK first when options were granted (RFC 2347), then windows of DATA (RFC 7440; a window
 * of 1 is RFC 1350's lock-step). A timeout resends the whole current window (or, slowly, the
 * OACK); a duplicate ACK never does (RFC 1123 §4.2.3.1). `retries` timeouts in a row end the
 * transfer.
 */
export class TftpTransfer {
  readonly finished: Promise<TransferResult>;
  readonly #socket: Socket;
  readonly #file: TftpFile;
  readonly #plan: TransferPlan;
  readonly #timing: TransferTiming;
  readonly #log: Logger;
  readonly #window: SendWindow;
  readonly #reader: BlockReader;
  readonly #clock: RetransmitClock;
  #resolve: (result: TransferResult) => void = () => undefined;
  #phase: Phase;
  #generation = 0;
  #timer: NodeJS.Timeout | null = null;
  #timerMs = -1;
  #sentAt = 0;
  #sentLast = 0;
  #ambiguous = false;
  #retries = 0;
  #progressed = false;
  #blocksSent = 0;
  #timeouts = 0;
  #staleAcks = 0;

  private constructor(socket: Socket, options: TftpTransferOptions, log: Logger) {
    this.#socket = socket;
    this.#file = options.file;
    this.#plan = options.plan;
    this.#timing = options.timing;
    this.#log = log;
    this.#window = new SendWindow(options.file.size, options.plan.blockSize, options.plan.windowSize);
    this.#reader = new BlockReader(options.file, options.plan.blockSize, options.plan.windowSize);
    this.#clock = new RetransmitClock(clockOptions(options.timing, options.plan.timeoutSeconds));
    this.#phase = options.plan.oack.length > 0 ? 'oack' : 'data';
    this.finished = new Promise((resolve) => { this.#resolve = resolve; });
    socket.on('message', (msg) => this.#onMessage(msg));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // ICMP port unreachable on the connected socket: the client has gone (often it simply
      // exited after the last ACK, and our retransmission of the last block found no one).
      this.#end(err.code === 'ECONNREFUSED' ? this.#silentEnd('client gone') : 'failed', err.message);
    });
  }

  /** Binds a fresh socket and sends the first packet (OACK or the first window). */
  static async start(options: TftpTransferOptions, log: Logger): Promise<TftpTransfer> {
    const socket = createSocket('udp4');
    try {
      await bindAndConnect(socket, options.host, options.client);
    } catch (err) {
      socket.close();
      await options.file.close().catch(() => undefined);
      throw err;
    }
    const transfer = new TftpTransfer(socket, options, log);
    transfer.#sendFirst(false);
    return transfer;
  }

  /** True once the client has acknowledged anything. */
  get progressed(): boolean {
    return this.#progressed;
  }

  /**
   * The client sent its request again, so it has not seen our first packet: send that again
   * now rather than at the next timeout. Ignored once the transfer has moved on.
   */
  resendFirst(): void {
    if (!this.#progressed && this.#phase !== 'ended') this.#sendFirst(true);
  }

  /** Ends the transfer at once (server closing, or the client started over); `tell` goes to the client as ERROR 0. */
  abort(reason: string, tell?: string): void {
    this.#end('aborted', reason, tell);
  }

  #sendFirst(again: boolean): void {
    if (this.#phase === 'oack') this.#sendOack(again);
    else this.#sendWindow(again);
  }

  #sendOack(again: boolean): void {
    this.#socket.send(encodeTftpPacket({ opcode: TftpOpcode.OptionAck, options: this.#plan.oack }));
    this.#sentAt = performance.now();
    this.#ambiguous = again;
    this.#arm();
  }

  /**
   * Sends blocks first..last of the window; `again` marks a retransmission (no RTT sample).
   * Blocks already in memory go out synchronously; the first one still being read from disk
   * hands the rest of the window to #sendRest.
   */
  #sendWindow(again: boolean): void {
    const generation = ++this.#generation;
    const first = this.#window.first;
    const last = this.#window.last;
    this.#ambiguous = again || first <= this.#window.highestSent;
    for (let n = first; n <= last; n++) {
      const data = this.#reader.block(n);
      if (data instanceof Promise) {
        this.#sendRest(generation, n, last, data).catch((err: unknown) => this.#fail(err));
        return;
      }
      this.#sendBlock(n, data);
    }
    this.#windowSent(last);
  }

  async #sendRest(generation: number, from: number, last: number, pending: Promise<Uint8Array>): Promise<void> {
    let data: Uint8Array | Promise<Uint8Array> = pending;
    for (let n = from; n <= last; n++) {
      if (n > from) data = this.#reader.block(n);
      if (data instanceof Promise) {
        data = await data;
        // An ACK or a timeout started another window while this one waited for the disk.
        if (generation !== this.#generation) return;
      }
      this.#sendBlock(n, data);
    }
    this.#windowSent(last);
  }

  #sendBlock(n: number, data: Uint8Array): void {
    this.#socket.send([encodeTftpDataHeader(n & 0xffff), data]);
    this.#blocksSent++;
  }

  #windowSent(last: number): void {
    this.#window.sent(last);
    this.#sentLast = last;
    this.#sentAt = performance.now();
    this.#arm();
  }

  /**
   * NOTE: an unanswered OACK is not resent at the adaptive interval. Either it was lost, and
   * the client sends its RRQ again (every client does: tftp-hpa, atftp, curl, iPXE, EDK2), which
   * resendFirst() answers at once; or the client's ACK 0 was lost, and it sends that again on
   * its own timeout. A second OACK in the latter case makes atftp abort ("unexpected OACK"). So
   * the server's own OACK retransmission is only the fallback, after the client's timeout (the
   * one it negotiated, else a little over the usual 5 s) has had its chance.
   */
  #oackWaitMs(): number {
    const negotiated = this.#plan.timeoutSeconds;
    return negotiated === null ? this.#timing.oackRetransmitMs : negotiated * 1000 + 1000;
  }

  #arm(): void {
    if (this.#phase === 'ended') return;
    const ms = this.#phase === 'oack' ? this.#oackWaitMs() : this.#clock.timeoutMs;
    if (this.#timer !== null && this.#timerMs === ms) {
      this.#timer.refresh();
      return;
    }
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#onTimeout(), ms);
    this.#timerMs = ms;
  }

  #onTimeout(): void {
    if (this.#phase === 'ended') return;
    if (++this.#retries > this.#timing.retries) {
      this.#end(this.#silentEnd('timed out'), `no answer to ${this.#timing.retries} retransmissions`);
      return;
    }
    this.#timeouts++;
    this.#clock.timedOut();
    this.#sendFirst(true);
  }

  /** How a transfer whose client fell silent ended: `unconfirmed` once the last block was sent. */
  #silentEnd(otherwise: TransferOutcome): TransferOutcome {
    return this.#phase === 'data' && this.#window.highestSent === this.#window.lastBlock ? 'unconfirmed' : otherwise;
  }

  #onMessage(msg: Buffer): void {
    if (this.#phase === 'ended') return;
    // The hot path: an ACK is 4 bytes, one per window; read it without a decode.
    if (msg.byteLength === 4 && msg[0] === 0 && msg[1] === TftpOpcode.Ack) {
      this.#onAck(((msg[2] as number) << 8) | (msg[3] as number));
      return;
    }
    let packet;
    try {
      packet = decodeTftpPacket(msg);
    } catch (err) {
      if (!isWireError(err)) throw err;
      this.#log.debug({ reason: err.message }, 'tftp packet malformed');
      return;
    }
    if (packet.opcode === TftpOpcode.Ack) this.#onAck(packet.block);
    else if (packet.opcode === TftpOpcode.Error) this.#end('client error', `${packet.code} ${packet.message}`);
    else this.#log.debug({ opcode: packet.opcode }, 'tftp packet unexpected in a transfer');
  }

  #onAck(block: number): void {
    if (this.#phase === 'oack') {
      if (block !== 0) {
        this.#staleAcks++;
        return;
      }
      this.#phase = 'data';
      this.#progress(0);
      this.#sendWindow(false);
      return;
    }
    const outcome = this.#window.ack(block);
    if (outcome === 'duplicate' || outcome === 'unexpected') {
      this.#staleAcks++;
      return;
    }
    this.#progress(this.#window.first - 1);
    if (outcome === 'complete') this.#end('complete');
    else this.#sendWindow(false);
  }

  /** Block `acked` (0 = the OACK) is acknowledged: sample the round trip if it is unambiguous. */
  #progress(acked: number): void {
    if (!this.#ambiguous && acked === this.#sentLast) this.#clock.sample(performance.now() - this.#sentAt);
    this.#clock.progressed();
    this.#retries = 0;
    this.#progressed = true;
  }

  #fail(err: unknown): void {
    this.#end('failed', err instanceof Error ? err.message : String(err), 'read error on the server');
  }

  /** Ends the transfer once; `tell` is sent to the client as ERROR 0 before the socket closes. */
  #end(outcome: TransferOutcome, detail?: string, tell?: string): void {
    if (this.#phase === 'ended') return;
    this.#phase = 'ended';
    this.#generation++;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const close = (): void => {
      this.#socket.close();
    };
    if (tell === undefined) close();
    else {
      try {
        this.#socket.send(encodeTftpPacket({ opcode: TftpOpcode.Error, code: TftpErrorCode.NotDefined, message: tell }), close);
      } catch {
        close();
      }
    }
    this.#file.close().catch(() => undefined);
    this.#resolve({ outcome, blocksSent: this.#blocksSent, timeouts: this.#timeouts, staleAcks: this.#staleAcks, ...(detail === undefined ? {} : { detail }) });
  }
}
