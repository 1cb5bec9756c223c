import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BLOCK_FRAME_HEADER_LENGTH, BlockSet, DatagramType, SEAL_TAG_LENGTH, decodeDatagram, encodeNakReport, fragmentSizeFor, type Datagram, type Manifest, type ReceiverMessage, type ReceiverProgress,
} from '@rackcast/wire';
import { BlockPipeline, overlapsRanges, verifyOnTarget, type ByteRange } from './block-pipeline.js';
import { openBlockTarget, type BlockTarget } from './block-target.js';
import { FragmentAssembler } from './fragment-assembler.js';
import { SealedBufferPool } from './sealed-buffer-pool.js';
import { openMulticastSocket, type MulticastSocket } from './multicast-socket.js';
import { ReceiveError } from './receive-error.js';
import { ServerLink, type Registration } from './server-link.js';
import type { ServerMessage } from '@rackcast/wire';

export interface ReceiveOptions {
  /** Boot server base URL, e.g. "http://10.0.0.1:8080". */
  readonly server: string;
  readonly session: number;
  /** The receiver token the server issued for this machine. */
  readonly token: string;
  /** File or block device to write, e.g. "/dev/vda" or "disk.img". */
  readonly target: string;
  /** Interface name or IPv4 address to join the group on; default: the one that reaches the server. */
  readonly iface?: string;
  /** Bytes of partial blocks kept in memory before spilling to the target; default 24 MiB. */
  readonly memoryBudget?: number;
  /** Give up when nothing arrives for this long; default 10 minutes. */
  readonly idleTimeoutMs?: number;
  readonly onProgress?: (progress: ReceiveProgress) => void;
  /**
   * Disk ranges written last, after every other block (a deploy's boot area). Blocks over them
   * are never spilled to the target; their bytes there are held in memory until the end.
   */
  readonly deferred?: readonly ByteRange[];
  /**
   * Smallest target accepted, in bytes; default the image's disk size. A deploy passes the
   * image's used end: a target may be smaller than the source disk.
   */
  readonly minimumTargetBytes?: number;
}

/** Progress as reported to the server (4 Hz) and to a local caller. */
export interface ReceiveProgress extends ReceiverProgress {
  readonly state: 'receiving' | 'backfill';
  /** Blocks this run found verified on the target when it started (local callers only). */
  readonly resumedBlocks: number;
  /** Blocks this run received by multicast or backfill (local callers only). */
  readonly fetchedBlocks: number;
}

/** What a finished receive did. */
export interface ReceiveResult {
  readonly blocks: number;
  readonly bytes: number;
  /** Blocks already on the target (journal verified) when this run started. */
  readonly resumedBlocks: number;
  /** Blocks that arrived by multicast, and by HTTP backfill. */
  readonly multicastBlocks: number;
  readonly backfillBlocks: number;
  readonly authFailures: number;
  readonly hashFailures: number;
  readonly malformed: number;
  readonly foreign: number;
  readonly overruns: number;
  readonly spilledBlocks: number;
  readonly lossRate: number;
  readonly seconds: number;
  /** Peak resident memory of this process, MB. */
  readonly peakRssMb: number;
  /** How datagrams were read ('batched': the recvmmsg addon), and the receive buffer granted. */
  readonly socket: Pick<MulticastSocket, 'kind' | 'fallbackReason' | 'receiveBufferBytes'> | null;
}

/** How often a receiver asks for the fragments of partial blocks the sender has passed. */
const IN_PASS_REQUEST_MS = 100;
/** A block's fragments are asked for again only after this long (the repair may be lost too). */
const IN_PASS_RETRY_MS = 400;
/** Blocks per in-pass request. */
const IN_PASS_MAX_BLOCKS = 256;
/**
 * Above this loss since the last request a receiver asks for nothing in-pass: it is falling
 * behind (slow link or disk), and its requests would slow the group; the pass end decides
 * whether it is a straggler.
 */
const IN_PASS_MAX_LOSS = 0.25;
/**
 * Socket receive buffer asked for: ~190 ms of a gigabit stream, room for a garbage collection
 * or a burst of block work without overflowing. As root the batched socket gets it whatever
 * net.core.rmem_max says (SO_RCVBUFFORCE); dgram is capped there.
 */
const RECEIVE_BUFFER_BYTES = 16 * 1024 * 1024;
/** Blocks opened and written at once, and complete blocks allowed to wait (back-pressure). */
const PIPELINE_CONCURRENCY = 4;
const PIPELINE_QUEUE = 64;

interface Counters {
  received: number;
  sentSpan: number;
  authFailures: number;
  hashFailures: number;
  malformed: number;
  foreign: number;
  overruns: number;
  repairs: number;
  multicastBlocks: number;
  backfillBlocks: number;
}

/**
 * Receives one session's image onto a target: registers, verifies what an earlier run left on
 * the target, joins the group, assembles and writes blocks, answers each PASS_END with what it
 * misses, backfills over HTTP when told it is a straggler or when the multicast ends, and
 * reports progress at 4 Hz. Every failure reaches the server with its code.
 */
export class MulticastReceiver {
  readonly #o: ReceiveOptions;
  readonly #link: ServerLink;
  readonly #c: Counters = { received: 0, sentSpan: 0, authFailures: 0, hashFailures: 0, malformed: 0, foreign: 0, overruns: 0, repairs: 0, multicastBlocks: 0, backfillBlocks: 0 };
  #manifest!: Manifest;
  #reg!: Registration;
  #target!: BlockTarget;
  #done!: BlockSet;
  #assembler!: FragmentAssembler;
  #pipeline!: BlockPipeline;
  #socket: MulticastSocket | null = null;
  #socketInfo: ReceiveResult['socket'] = null;
  #sender: { id: number; first: number; last: number } | null = null;
  #spanBefore = 0;
  #lastReportedPass = 0;
  /** The pass being received and the highest block of it seen: blocks below were all sent. */
  #frontier = { pass: 0, block: -1 };
  /** When each partial block's fragments were last asked for in-pass. */
  readonly #askedAt = new Map<number, number>();
  #lossAtLastAsk = { received: 0, sent: 0 };
  #inPassTimer: NodeJS.Timeout | null = null;
  #newlyDone: number[] = [];
  /** Written but not yet flushed to the target: not reported until a sync makes them durable. */
  #unsynced: number[] = [];
  #syncing: Promise<void> | null = null;
  #backfilling = false;
  #lastHeard = Date.now();
  #fatal: unknown = null;
  #wake: (() => void) | null = null;
  #bytesDone = 0;
  /** When this run started receiving, and what was already on the target then (for rate and ETA). */
  #startedAt = Date.now();
  #bytesAtStart = 0;
  #resumedBlocks = 0;

  constructor(options: ReceiveOptions) {
    this.#o = options;
    this.#link = new ServerLink(options.server, options.session, options.token);
  }

  async run(): Promise<ReceiveResult> {
    const started = Date.now();
    this.#reg = await this.#link.register();
    this.#manifest = await this.#link.manifest();
    if (this.#manifest.blocks.length !== this.#reg.blockCount) throw new ReceiveError('RC_ERR_RECEIVE_MANIFEST', 'manifest and session disagree on the block count');
    this.#link.on('message', (m) => this.#onServerMessage(m));
    // On every (re)connect the first progress carries every block done, so a server that
    // restarted rebuilds its journal of this receiver.
    this.#link.on('open', () => {
      if (!this.#done) return;
      const unsynced = new Set(this.#unsynced);
      this.#newlyDone = [...this.#doneIndexes()].filter((b) => !unsynced.has(b));
    });
    this.#link.connect();
    try {
      this.#target = await openBlockTarget(this.#o.target, this.#manifest.diskSize, this.#o.minimumTargetBytes ?? this.#manifest.diskSize);
    } catch (err) {
      await this.#reportFailure(err);
      this.#link.close();
      throw err;
    }
    const progress = setInterval(() => this.#syncThenReport(), this.#reg.progressIntervalMs);
    try {
      const resumedBlocks = await this.#resume();
      this.#resumedBlocks = resumedBlocks;
      this.#startedAt = Date.now();
      this.#bytesAtStart = this.#bytesDone;
      this.#setUp();
      if (this.#reg.straggler || ['complete', 'cancelled'].includes(this.#reg.phase)) this.#startBackfill();
      else await this.#join();
      await this.#untilComplete();
      await this.#pipeline.drain();
      // The deferred boot area goes last, once everything else is on the disk.
      await this.#pipeline.flushHeld();
      await this.#syncing;
      await this.#target.sync();
      this.#newlyDone.push(...this.#unsynced.splice(0));
      this.#sendProgress();
      this.#link.send(message({ type: 'done' }));
      await this.#link.settle(5000);
      return this.#result(resumedBlocks, started);
    } catch (err) {
      await this.#reportFailure(err);
      throw err;
    } finally {
      clearInterval(progress);
      this.#stopInPassRequests();
      await this.#syncing;
      this.#socket?.close();
      this.#link.close();
      await this.#target.close();
    }
  }

  async #reportFailure(err: unknown): Promise<void> {
    const code = err instanceof ReceiveError ? err.code : 'RC_ERR_RECEIVE_BLOCK';
    this.#link.send(message({ type: 'fail', code, message: (err as Error).message ?? String(err) }));
    await this.#link.settle(3000);
  }

  /** Blocks the server's journal lists are checked on the target; those that verify are kept. */
  async #resume(): Promise<number> {
    this.#done = new BlockSet(this.#reg.blockCount);
    const journal = new BlockSet(this.#reg.blockCount, this.#reg.completed);
    for (let b = 0; b < this.#reg.blockCount; b++) {
      if (journal.has(b) && (await verifyOnTarget(this.#target, this.#manifest, b))) {
        this.#done.add(b);
        this.#bytesDone += this.#manifest.blocks[b]?.length ?? 0;
      }
    }
    this.#newlyDone = [...this.#doneIndexes()];
    return this.#done.count;
  }

  #setUp(): void {
    const fragmentSize = fragmentSizeFor(this.#reg.datagramSize);
    const deferred = this.#o.deferred ?? [];
    const largest = this.#manifest.blocks.reduce((max, b) => Math.max(max, b.length), 0);
    // Room for a raw-encoded block's frame header and tag; as many as can wait in the
    // pipeline plus a few being assembled.
    const buffers = new SealedBufferPool(largest + BLOCK_FRAME_HEADER_LENGTH + SEAL_TAG_LENGTH, PIPELINE_QUEUE + PIPELINE_CONCURRENCY + 8);
    this.#pipeline = new BlockPipeline({
      manifest: this.#manifest, key: this.#reg.key, sessionId: this.#o.session, target: this.#target, concurrency: PIPELINE_CONCURRENCY, maxQueued: PIPELINE_QUEUE, deferred,
      releaseSealed: (sealed) => buffers.give(sealed),
      onWritten: (b) => this.#written(b),
      onRejected: (b, why) => {
        if (why === 'auth') this.#c.authFailures++;
        else this.#c.hashFailures++;
        this.#assembler.drop(b);
      },
      onError: (err) => this.#fail(err),
    });
    this.#assembler = new FragmentAssembler({
      manifest: this.#manifest, fragmentSize, target: this.#target, memoryBudget: this.#o.memoryBudget ?? 24 * 1024 * 1024,
      onComplete: (b, sealed) => this.#pipeline.push(b, sealed), buffers,
      onError: (err) => this.#fail(err),
      keepInMemory: (b) => {
        const entry = this.#manifest.blocks[b];
        return entry !== undefined && overlapsRanges(entry.offset, entry.length, deferred);
      },
    });
  }

  /** Hashes of the parts inside the target of blocks that extend past its end (see BlockPipeline). */
  get clippedHashes(): ReadonlyMap<number, Uint8Array> {
    return this.#pipeline?.clippedHashes ?? new Map();
  }

  /** The session's manifest (known once run() has registered). */
  get manifest(): Manifest {
    return this.#manifest;
  }

  #written(block: number): void {
    if (!this.#done.add(block)) return;
    this.#askedAt.delete(block);
    this.#bytesDone += this.#manifest.blocks[block]?.length ?? 0;
    this.#unsynced.push(block);
    if (this.#backfilling) this.#c.backfillBlocks++;
    else this.#c.multicastBlocks++;
    this.#wakeUp();
  }

  async #join(): Promise<void> {
    const interfaceAddress = await this.#interfaceAddress();
    const socket = await openMulticastSocket({
      port: this.#reg.port, group: this.#reg.group, interfaceAddress, receiveBufferBytes: RECEIVE_BUFFER_BYTES, maxDatagramSize: this.#reg.datagramSize,
      onDatagram: (bytes) => this.#onDatagram(bytes),
      onOversize: () => this.#c.malformed++,
      onError: (err) => this.#fail(err),
    });
    this.#socket = socket;
    this.#socketInfo = { kind: socket.kind, fallbackReason: socket.fallbackReason, receiveBufferBytes: socket.receiveBufferBytes };
    this.#inPassTimer = setInterval(() => this.#askInPass(), IN_PASS_REQUEST_MS);
  }

  /**
   * Asks for the missing fragments of partial blocks the sender has already passed, while the
   * pass runs (an interim NAK report): the sender re-sends them between its next blocks, so
   * the block completes while its other fragments are still in memory.
   */
  #askInPass(): void {
    if (this.#backfilling || this.#frontier.pass === 0) return;
    const { received, sent } = this.#lossCounts();
    const lost = sent - this.#lossAtLastAsk.sent > 0 ? 1 - (received - this.#lossAtLastAsk.received) / (sent - this.#lossAtLastAsk.sent) : 0;
    this.#lossAtLastAsk = { received, sent };
    if (lost > IN_PASS_MAX_LOSS) return;
    const now = Date.now();
    const entries = this.#assembler.partialBefore(this.#frontier.block, (b) => now - (this.#askedAt.get(b) ?? 0) >= IN_PASS_RETRY_MS, IN_PASS_MAX_BLOCKS);
    if (entries.length === 0) return;
    const report = encodeNakReport({ pass: this.#frontier.pass, complete: false, interim: true, received, sent, entries });
    if (!this.#link.sendIfOpen(report)) return;
    for (const e of entries) this.#askedAt.set(e.block, now);
  }

  #stopInPassRequests(): void {
    if (this.#inPassTimer) clearInterval(this.#inPassTimer);
    this.#inPassTimer = null;
    this.#askedAt.clear();
  }

  async #interfaceAddress(): Promise<string> {
    const iface = this.#o.iface;
    if (iface && /^\d{1,3}(\.\d{1,3}){3}$/.test(iface)) return iface;
    if (iface) {
      const found = networkInterfaces()[iface]?.find((a) => a.family === 'IPv4');
      if (!found) throw new ReceiveError('RC_ERR_DISK_UNUSABLE', `interface ${iface} has no IPv4 address`);
      return found.address;
    }
    // The address this machine uses to reach the server is on the network the stream uses.
    const probe = createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.connect(9, new URL(this.#o.server).hostname, () => resolve());
      });
      return probe.address().address;
    } finally {
      probe.close();
    }
  }

  #onDatagram(msg: Buffer): void {
    let d: Datagram;
    try {
      d = decodeDatagram(msg);
    } catch {
      this.#c.malformed++;
      return;
    }
    if (d.sessionId !== this.#o.session) {
      this.#c.foreign++;
      return;
    }
    if (!this.#acceptSender(d)) return;
    this.#lastHeard = Date.now();
    this.#c.received++;
    if (d.type === DatagramType.PassEnd && d.pass > this.#lastReportedPass) this.#sendNakReport(d.pass);
    else if (d.type === DatagramType.Finish) this.#startBackfill();
    else if (d.type === DatagramType.Data) this.#onData(d);
  }

  /** Tracks the current sender; a new sender id is adopted only from ANNOUNCE (a restarted sender). */
  #acceptSender(d: Datagram): boolean {
    const s = this.#sender;
    if (s && s.id !== d.senderId && d.type !== DatagramType.Announce) {
      this.#c.foreign++;
      return false;
    }
    if (!s || s.id !== d.senderId) {
      this.#spanBefore += s ? s.last - s.first + 1 : 0;
      this.#sender = { id: d.senderId, first: d.sequence, last: d.sequence };
    } else if (((d.sequence - s.last) >>> 0) < 0x80000000) {
      s.last = d.sequence;
    }
    return true;
  }

  #onData(d: Extract<Datagram, { type: 1 }>): void {
    const b = d.blockIndex;
    if (d.pass > this.#frontier.pass) this.#frontier = { pass: d.pass, block: b };
    else if (d.pass === this.#frontier.pass && b > this.#frontier.block) this.#frontier.block = b;
    if (this.#done.has(b) || this.#pipeline.isPending(b)) return;
    if (!this.#assembler.has(b) && this.#pipeline.saturated) {
      this.#c.overruns++;
      return;
    }
    if (this.#assembler.accept(d) && d.pass > 1) this.#c.repairs++;
  }

  #sendNakReport(pass: number): void {
    this.#lastReportedPass = pass;
    const settled = (b: number) => this.#done.has(b) || this.#pipeline.isPending(b) || this.#assembler.isCompleting(b);
    const entries = this.#assembler.missing(this.#reg.blockCount, settled);
    const { received, sent } = this.#lossCounts();
    this.#link.send(encodeNakReport({ pass, complete: entries.length === 0, received, sent, entries }));
  }

  #lossCounts(): { received: number; sent: number } {
    const s = this.#sender;
    const sent = this.#spanBefore + (s ? s.last - s.first + 1 : 0);
    // Fragments dropped for a full write queue count as lost: a slow disk is a straggler too.
    return { received: Math.max(0, Math.min(sent, this.#c.received - this.#c.overruns)), sent };
  }

  #onServerMessage(m: ServerMessage): void {
    if (m.type === 'backfill') this.#startBackfill();
    else if (m.type === 'cancel') this.#fail(new ReceiveError('RC_ERR_RECEIVE_CANCELLED', `the session was cancelled: ${m.reason}`));
  }

  /** Fetches every missing block over HTTP: a straggler, or the multicast ended first. */
  #startBackfill(): void {
    if (this.#backfilling) return;
    this.#backfilling = true;
    this.#stopInPassRequests();
    this.#socket?.close();
    this.#socket = null;
    void this.#backfill().catch((err: unknown) => this.#fail(err));
  }

  async #backfill(): Promise<void> {
    await this.#assembler.abandonAll();
    await this.#pipeline.drain();
    const missing: number[] = [];
    for (let b = 0; b < this.#reg.blockCount; b++) if (!this.#done.has(b)) missing.push(b);
    let next = 0;
    const worker = async () => {
      while (next < missing.length && this.#fatal === null) {
        const b = missing[next++] as number;
        this.#lastHeard = Date.now();
        while (this.#pipeline.saturated) await sleep(5);
        this.#pipeline.push(b, await this.#link.block(b));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await this.#pipeline.drain();
    // A block that failed its check in backfill is fetched again, a bounded number of times.
    if (this.#done.count < this.#reg.blockCount && this.#c.hashFailures + this.#c.authFailures < 1000) {
      this.#backfilling = false;
      this.#startBackfill();
    }
  }

  async #untilComplete(): Promise<void> {
    const idleTimeout = this.#o.idleTimeoutMs ?? 10 * 60 * 1000;
    while (this.#done.count < this.#reg.blockCount) {
      if (this.#fatal !== null) throw this.#fatal;
      if (Date.now() - this.#lastHeard > idleTimeout) throw new ReceiveError('RC_ERR_RECEIVE_TIMEOUT', `nothing from the server for ${Math.round(idleTimeout / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 250);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #fail(err: unknown): void {
    this.#fatal ??= err;
    this.#wakeUp();
  }

  *#doneIndexes(): Generator<number> {
    for (let b = 0; b < this.#reg.blockCount; b++) if (this.#done.has(b)) yield b;
  }

  #progress(): ReceiveProgress {
    const elapsed = Math.max(0.001, (Date.now() - this.#startedAt) / 1000);
    const rate = (this.#bytesDone - this.#bytesAtStart) / elapsed;
    const left = this.#reg.bytesTotal - this.#bytesDone;
    const { received, sent } = this.#lossCounts();
    return {
      state: this.#backfilling ? 'backfill' : 'receiving', blocksDone: this.#done.count, blocksTotal: this.#reg.blockCount,
      bytesDone: this.#bytesDone, bytesTotal: this.#reg.bytesTotal, rate: Math.round(rate), etaSeconds: rate > 0 ? Math.round(left / rate) : null,
      repairs: this.#c.repairs, authFailures: this.#c.authFailures, overruns: this.#c.overruns, lossRate: sent > 0 ? 1 - received / sent : 0,
      resumedBlocks: this.#resumedBlocks, fetchedBlocks: this.#c.multicastBlocks + this.#c.backfillBlocks,
    };
  }

  /**
   * Reports progress, after flushing newly written blocks to the target: the server's journal is
   * what a machine that loses power or is reset trusts on its next try, so it may only list
   * blocks that survive that (buffered writes in the page cache do not).
   */
  #syncThenReport(): void {
    if (this.#syncing !== null) return;
    const batch = this.#unsynced.splice(0);
    this.#syncing = (batch.length > 0 ? this.#target.sync() : Promise.resolve())
      .then(() => {
        this.#newlyDone.push(...batch);
        this.#sendProgress();
      }, (err: unknown) => this.#fail(err))
      .finally(() => { this.#syncing = null; });
  }

  #sendProgress(): void {
    if (!this.#done || !this.#pipeline) return;
    const progress = this.#progress();
    this.#o.onProgress?.(progress);
    const completed = BlockSet.toRanges(this.#newlyDone);
    const { resumedBlocks: _resumed, fetchedBlocks: _fetched, ...reported } = progress;
    if (this.#link.sendIfOpen(message({ type: 'progress', ...reported, completed }))) this.#newlyDone = [];
  }

  #result(resumedBlocks: number, started: number): ReceiveResult {
    const { received, sent } = this.#lossCounts();
    return {
      blocks: this.#done.count, bytes: this.#bytesDone, resumedBlocks, multicastBlocks: this.#c.multicastBlocks, backfillBlocks: this.#c.backfillBlocks,
      authFailures: this.#c.authFailures, hashFailures: this.#c.hashFailures, malformed: this.#c.malformed, foreign: this.#c.foreign,
      overruns: this.#c.overruns, spilledBlocks: this.#assembler.spilledBlocks, lossRate: sent > 0 ? 1 - received / sent : 0, seconds: (Date.now() - started) / 1000,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), socket: this.#socketInfo,
    };
  }
}

/** A control-channel message as sent (typed by the wire package). */
function message(m: ReceiverMessage): string {
  return JSON.stringify(m);
}
