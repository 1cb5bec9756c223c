// A TFTP peer built from the wire codec, for tests that need to send what real clients never
// send (malformed packets, stalls, repeated requests) and see exactly what comes back; plus a
// logger that keeps every line so tests can count them.
import { createSocket, type Socket } from 'node:dgram';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { TftpOpcode, decodeTftpPacket, encodeTftpPacket, type TftpOption, type TftpPacket } from '@rackcast/wire';

/** One JSON log line. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A debug-level logger whose lines land in `lines`. */
export function captureLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

export interface Received {
  readonly bytes: Buffer;
  /** null when the bytes do not decode. */
  readonly packet: TftpPacket | null;
  readonly port: number;
}

/** A UDP socket on 127.0.0.1 (or `host`) that sends raw bytes and reads replies with a deadline. */
export class TftpPeer {
  readonly #socket: Socket;
  readonly #queue: Received[] = [];
  #waiter: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (bytes, rinfo) => {
      let packet: TftpPacket | null = null;
      try { packet = decodeTftpPacket(bytes); } catch { packet = null; }
      this.#queue.push({ bytes, packet, port: rinfo.port });
      this.#waiter?.();
    });
  }

  static async open(host = '127.0.0.1'): Promise<TftpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
    return new TftpPeer(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  send(bytes: Uint8Array | TftpPacket, port: number, host = '127.0.0.1'): void {
    this.#socket.send(bytes instanceof Uint8Array ? bytes : encodeTftpPacket(bytes), port, host);
  }

  /** Sends and resolves once the datagram has left (dgram resolves the address first, so a close() right after send() would drop it). */
  sendNow(bytes: Uint8Array | TftpPacket, port: number, host = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.send(bytes instanceof Uint8Array ? bytes : encodeTftpPacket(bytes), port, host, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** The next datagram, or null after `ms`. */
  async next(ms = 2000): Promise<Received | null> {
    const deadline = Date.now() + ms;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => { clearTimeout(timer); resolve(); };
      });
      this.#waiter = null;
    }
    return this.#queue.shift() ?? null;
  }

  /** Drops everything received so far. */
  drain(): void {
    this.#queue.length = 0;
  }

  close(): void {
    this.#socket.close();
  }
}

export interface Fetched {
  readonly data: Buffer;
  /** The OACK's options, or null when the server sent none. */
  readonly oack: readonly TftpOption[] | null;
  /** DATA packets received, duplicates included. */
  readonly packets: number;
}

/**
 * Fetches a file in lock-step (windowsize is not asked for) with the codec: RRQ, ACK 0 after an
 * OACK, ACK per block, until a short block. Block numbers roll over at 2^16. Rejects on an
 * ERROR (message "ERROR <code> <text>") or after `ms` without a packet.
 */
export async function fetchWithCodec(port: number, filename: string, options: readonly TftpOption[] = [], ms = 3000, peer?: TftpPeer): Promise<Fetched> {
  const own = peer ?? await TftpPeer.open();
  try {
    own.send({ opcode: TftpOpcode.ReadRequest, filename, mode: 'octet', options }, port);
    const chunks: Buffer[] = [];
    let oack: readonly TftpOption[] | null = null;
    let blockSize = 512;
    let expect = 1;
    let packets = 0;
    for (;;) {
      const got = await own.next(ms);
      if (got === null) throw new Error(`no packet within ${ms} ms (after ${chunks.length} blocks)`);
      const p = got.packet;
      if (p?.opcode === TftpOpcode.Error) throw new Error(`ERROR ${p.code} ${p.message}`);
      if (p?.opcode === TftpOpcode.OptionAck) {
        oack = p.options;
        blockSize = Number(p.options.find((o) => o.name === 'blksize')?.value ?? 512);
        own.send({ opcode: TftpOpcode.Ack, block: 0 }, got.port);
        continue;
      }
      if (p?.opcode !== TftpOpcode.Data) throw new Error(`unexpected packet ${got.bytes.toString('hex')}`);
      packets++;
      if (p.block === (expect & 0xffff)) {
        chunks.push(Buffer.from(p.data));
        expect++;
      }
      const ack = { opcode: TftpOpcode.Ack, block: (expect - 1) & 0xffff } as const;
      if (p.block === ((expect - 1) & 0xffff) && p.data.byteLength < blockSize) {
        await own.sendNow(ack, got.port);
        return { data: Buffer.concat(chunks), oack, packets };
      }
      own.send(ack, got.port);
    }
  } finally {
    if (peer === undefined) own.close();
  }
}
