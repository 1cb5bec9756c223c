import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DATA_HEADER_LENGTH, DatagramType, encodeDatagram, fragmentCountFor, fragmentRange, fragmentSizeFor,
  writeDataHeader, type FinishReasonId, type SealedParts, type SenderPhaseId,
} from '@rackcast/wire';
import type { Logger } from '../../log.js';
import { RateGovernor, WIRE_OVERHEAD } from './rate-governor.js';
import { probeSegmentOffload, segmentsPerSend, setSegmentSize } from './segmentation-offload.js';

/** Where the sealed bytes of a block come from; the session implements it (sealing is policy). */
export interface SealedBlockSource {
  /** The sealed block `index` (AES-GCM of its stored frame), as body and tag. */
  sealed(index: number): Promise<SealedParts>;
}

/** One block's share of a pass: every fragment, or only the listed ones. */
export interface PassItem {
  readonly block: number;
  /** Fragment indexes to send; undefined = all. */
  readonly fragments?: readonly number[];
}

export interface MulticastSenderOptions {
  readonly sessionId: number;
  /** Multicast group, e.g. "239.77.0.1". */
  readonly group: string;
  readonly port: number;
  /** Local IPv4 address whose interface carries the stream, e.g. "10.0.0.1". */
  readonly interfaceAddress: string;
  readonly ttl: number;
  /** UDP payload bytes per datagram, e.g. 1472; 8972 for jumbo frames. */
  readonly datagramSize: number;
  /** Wire bits per second; 0 sends as fast as the host can. */
  readonly rateBps: number;
  /** Blocks sealed ahead of the one being sent, so reading and sealing overlap sending. */
  readonly readAhead?: number;
  /**
   * Send runs of a block's datagrams as one segmented packet (UDP_SEGMENT) when the interface
   * allows it; default true. Off, or refused by the kernel: one send per datagram.
   */
  readonly segmentOffload?: boolean;
}

/** One DATA datagram as the pieces the socket gathers into it, and its length. */
interface Datagram {
  readonly pieces: Buffer[];
  readonly length: number;
}

export interface PassResult {
  /** DATA datagrams of this pass, in-pass repairs included. */
  readonly fragmentsSent: number;
  /** Of those, in-pass repairs (fragments receivers asked for while the pass ran). */
  readonly inPassRepairs: number;
  readonly lastSequence: number;
}

/**
 * Asked between blocks for fragments to re-send at once: given what this pass has sent so
 * far (its own items, and repairs), returns the repairs to send now (the session's policy).
 */
export type InPassRepairSource = (sent: { readonly items: number; readonly repairs: number }) => readonly PassItem[];

/**
 * Sends one session's block stream: DATA datagrams paced by the rate governor, and the
 * ANNOUNCE / PASS_END / FINISH control datagrams. Transport only: which blocks go in a pass
 * and what the receivers said is the session's business.
 */
export class MulticastSender {
  readonly options: MulticastSenderOptions;
  readonly senderId: number;
  readonly governor: RateGovernor;
  readonly fragmentSize: number;
  readonly #socket: Socket;
  readonly #log: Logger;
  #sequence = 0;
  #sent = 0;
  #bytesSent = 0;
  #stopped = false;
  #sinceYield = 0;
  /** Datagrams per send: 1, or more with segmentation offload. */
  #segments = 1;
  #offloadRefusal: string | null = null;

  constructor(options: MulticastSenderOptions, log: Logger) {
    this.options = options;
    this.fragmentSize = fragmentSizeFor(options.datagramSize);
    this.senderId = (Math.random() * 0xffffffff) >>> 0 || 1;
    this.governor = new RateGovernor(options.rateBps);
    this.#log = log.child({ session: options.sessionId });
    this.#socket = createSocket({ type: 'udp4', reuseAddr: true });
  }

  /** Datagrams sent so far by this sender id. */
  get sent(): number {
    return this.#sent;
  }

  /** Datagrams one send carries at most: 1 without segmentation offload. */
  get segmentsPerSend(): number {
    return this.#segments;
  }

  /** Why segmentation offload is off although asked for (the kernel's answer), else null. */
  get offloadRefusal(): string | null {
    return this.#offloadRefusal;
  }

  /** UDP payload bytes handed to the socket so far, data and control datagrams (for metrics). */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  async open(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#socket.once('error', reject);
      this.#socket.bind(0, this.options.interfaceAddress, () => {
        this.#socket.off('error', reject);
        resolve();
      });
    });
    this.#socket.setMulticastInterface(this.options.interfaceAddress);
    this.#socket.setMulticastTTL(this.options.ttl);
    this.#socket.setMulticastLoopback(true);
    this.#socket.setSendBufferSize(4 * 1024 * 1024);
    this.#socket.on('error', (err) => this.#log.warn({ err }, 'multicast send error'));
    // A connected socket skips the address lookup dgram does for every unconnected send.
    await new Promise<void>((resolve, reject) => {
      this.#socket.connect(this.options.port, this.options.group, () => resolve());
      this.#socket.once('error', reject);
    });
    if (this.options.segmentOffload ?? true) await this.#enableOffload();
  }

  async #enableOffload(): Promise<void> {
    const { group, interfaceAddress, datagramSize } = this.options;
    this.#offloadRefusal = await probeSegmentOffload({ group, interfaceAddress, datagramSize });
    if (this.#offloadRefusal === null) {
      try {
        setSegmentSize(this.#socket, datagramSize);
        this.#segments = segmentsPerSend(datagramSize);
      } catch (err) {
        this.#offloadRefusal = (err as Error).message;
      }
    }
    if (this.#offloadRefusal !== null) {
      this.#log.warn({ reason: this.#offloadRefusal, iface: interfaceAddress }, 'segmentation offload refused on this interface: one send per datagram');
    }
  }

  /** Stops a running pass at the next datagram. */
  stop(): void {
    this.#stopped = true;
  }

  close(): void {
    this.#stopped = true;
    this.#socket.close();
  }

  /**
   * Sends one pass over `items`, paced; resolves when the last datagram is queued. Between
   * blocks it asks `inPassRepairs` (if given) for fragments to re-send at once.
   */
  async sendPass(pass: number, items: readonly PassItem[], source: SealedBlockSource, inPassRepairs?: InPassRepairSource): Promise<PassResult> {
    this.#stopped = false;
    const readAhead = this.options.readAhead ?? 8;
    const pending = new Map<number, Promise<SealedParts>>();
    const sent = { items: 0, repairs: 0 };
    for (let k = 0; k < items.length && !this.#stopped; k++) {
      for (let j = k; j < Math.min(items.length, k + readAhead); j++) {
        if (!pending.has(j)) pending.set(j, source.sealed((items[j] as PassItem).block));
      }
      for (const repair of inPassRepairs?.(sent) ?? []) {
        sent.repairs += await this.#sendItem(pass, repair, await source.sealed(repair.block));
      }
      const item = items[k] as PassItem;
      const sealed = await (pending.get(k) as Promise<SealedParts>);
      pending.delete(k);
      sent.items += await this.#sendItem(pass, item, sealed);
    }
    await Promise.allSettled(pending.values());
    return { fragmentsSent: sent.items + sent.repairs, inPassRepairs: sent.repairs, lastSequence: this.#sequence };
  }

  /**
   * Sends one item's datagrams, paced; returns how many went out. With segmentation offload a
   * run of full-size datagrams (and the shorter one that may end it) goes as one send.
   */
  async #sendItem(pass: number, item: PassItem, sealed: SealedParts): Promise<number> {
    const datagrams = this.#datagrams(pass, item, sealed);
    let count = 0;
    while (count < datagrams.length && !this.#stopped) {
      const run = this.#runLength(datagrams, count);
      const pieces: Buffer[] = [];
      let length = 0;
      for (let i = count; i < count + run; i++) {
        const d = datagrams[i] as Datagram;
        pieces.push(...d.pieces);
        length += d.length;
      }
      // Pacing is checked synchronously; only an empty bucket costs a timer. The loop also
      // yields now and then so announcements and receivers' messages are served meanwhile.
      for (let wait = this.governor.take(length, run); wait > 0; wait = this.governor.take(length, run)) await sleep(wait);
      this.#socket.send(pieces);
      this.#bytesSent += length;
      count += run;
      this.#sinceYield += run;
      if (this.#sinceYield >= 256) {
        this.#sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return count;
  }

  /**
   * How many datagrams from `start` one send carries: the kernel cuts a segmented send into
   * datagrams of the segment size, so every one but the last must be exactly that long.
   */
  #runLength(datagrams: readonly Datagram[], start: number): number {
    // Never more than the governor's bucket at once: a slow session stays smooth.
    const fit = Math.floor(this.governor.burstBytes / (this.options.datagramSize + WIRE_OVERHEAD));
    const end = Math.min(datagrams.length, start + Math.max(1, Math.min(this.#segments, fit)));
    let i = start;
    while (i + 1 < end && (datagrams[i] as Datagram).length === this.options.datagramSize) i++;
    return i - start + 1;
  }

  /**
   * The DATA datagrams of one pass item, each as [header, payload…]: the socket writes the
   * pieces as one datagram (sendmsg with an iovec each), so the payload is a view of the
   * sealed block's body (and, for the last fragment, its tag), never copied. Copying blocks
   * into datagram buffers, and body and tag into one, were half of the sender's large
   * allocations, and those drive V8's full collections. The headers of a block share one small
   * buffer; a queued send keeps its pieces, and neither is written again.
   */
  #datagrams(pass: number, item: PassItem, sealed: SealedParts): Datagram[] {
    const { body, tag } = sealed;
    const sealedLength = body.byteLength + tag.byteLength;
    const count = fragmentCountFor(sealedLength, this.fragmentSize);
    const wanted = item.fragments?.filter((f) => f < count) ?? null;
    const n = wanted ? wanted.length : count;
    const headers = Buffer.allocUnsafe(n * DATA_HEADER_LENGTH);
    const out: Datagram[] = [];
    for (let i = 0; i < n; i++) {
      const f = wanted ? (wanted[i] as number) : i;
      const [start, end] = fragmentRange(f, sealedLength, this.fragmentSize);
      const header = headers.subarray(i * DATA_HEADER_LENGTH, (i + 1) * DATA_HEADER_LENGTH);
      writeDataHeader(header, { sessionId: this.options.sessionId, senderId: this.senderId, sequence: this.#nextSequence(), pass,
        blockIndex: item.block, fragmentIndex: f, fragmentCount: count, sealedLength });
      const pieces: Buffer[] = [header];
      if (start < body.byteLength) pieces.push(body.subarray(start, Math.min(end, body.byteLength)));
      if (end > body.byteLength) pieces.push(tag.subarray(Math.max(0, start - body.byteLength), end - body.byteLength));
      out.push({ pieces, length: DATA_HEADER_LENGTH + end - start });
    }
    return out;
  }

  #nextSequence(): number {
    this.#sent++;
    this.#sequence = (this.#sequence + 1) >>> 0;
    return this.#sequence;
  }

  sendAnnounce(pass: number, blockCount: number, phase: SenderPhaseId, position: number): void {
    this.#sendControl(encodeDatagram({ type: DatagramType.Announce, sessionId: this.options.sessionId, senderId: this.senderId, sequence: this.#nextSequence(), pass,
      blockCount, fragmentSize: this.fragmentSize, phase, position, sent: this.#sent }));
  }

  async sendPassEnd(pass: number, result: PassResult): Promise<void> {
    for (let i = 0; i < 3; i++) {
      this.#sendControl(encodeDatagram({ type: DatagramType.PassEnd, sessionId: this.options.sessionId, senderId: this.senderId, sequence: this.#nextSequence(), pass,
        fragmentsSent: result.fragmentsSent, lastSequence: result.lastSequence }));
      await sleep(5);
    }
  }

  async sendFinish(pass: number, reason: FinishReasonId): Promise<void> {
    for (let i = 0; i < 3; i++) {
      this.#sendControl(encodeDatagram({ type: DatagramType.Finish, sessionId: this.options.sessionId, senderId: this.senderId, sequence: this.#nextSequence(), pass, reason }));
      await sleep(5);
    }
  }

  #sendControl(bytes: Uint8Array): void {
    this.#socket.send(bytes);
    this.#bytesSent += bytes.byteLength;
  }
}
