import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlockSet, FinishReason, SenderPhase, type Manifest, type NakReport, type SealedParts, type ServerMessage } from '@rackcast/wire';
import { RackcastError } from '../errors.js';
import type { Logger } from '../log.js';
import { MulticastSender, type PassItem } from '../net/multicast/index.js';
import type { ImageStore } from '../store/index.js';
import { IN_PASS_REPAIR_SHARE, InPassRepairQueue } from './in-pass-repairs.js';
import { findStragglers, lossRate, median, planRepairPass, withinBlocks } from './plan-repair-pass.js';
import { progressIntervalFor } from './progress-interval.js';
import { SealedBlocks } from './sealed-blocks.js';
import type { ReceiverProgress, ReceiverRecord, SessionRecord } from './session-record.js';

/** Messages the server sends a receiver over its channel. */
export type ServerToReceiver = ServerMessage;

/** A receiver's live channel (the WebSocket); declared here, implemented by net/. */
export interface ReceiverChannel {
  send(message: ServerToReceiver): void;
  close(): void;
}

/** Timers of docs/blockstream-protocol.md; tests shorten them. */
export interface SessionTimers {
  readonly announceMs: number;
  readonly reportTimeoutMs: number;
  readonly deadAfterMs: number;
  readonly startTimeoutMs: number;
  /** How long a transfer with no live receiver waits for one to come back. */
  readonly lostGraceMs: number;
}

/** How this host's senders use the network; the same for every session. */
export interface SenderTransport {
  /** UDP segmentation offload (MulticastSenderOptions.segmentOffload); default on. */
  readonly segmentOffload?: boolean;
}

/** A straggler loses more than a quarter of the datagrams, and three times the others' median. */
const STRAGGLER_POLICY = { minLoss: 0.25, factor: 3 } as const;

export const DEFAULT_TIMERS: SessionTimers = { announceMs: 500, reportTimeoutMs: 1000, deadAfterMs: 3000, startTimeoutMs: 60_000, lostGraceMs: 30_000 };

/** What a registering receiver learns (the key only travels here, over HTTP). */
export interface Registration {
  readonly receiver: ReceiverRecord;
  readonly completed: BlockSet;
}

/**
 * One deploy stream: a version's blocks to a set of receivers over one multicast group. Runs
 * the phases of docs/blockstream-protocol.md: waiting → transfer (passes, aggregated repair,
 * stragglers to HTTP backfill, dead receivers dropped) → complete. Its record is persisted on
 * every change of phase and pass, so a restarted server resumes it.
 */
export class StreamSession extends EventEmitter {
  readonly record: SessionRecord;
  readonly manifest: Manifest;
  readonly sealed: SealedBlocks;
  readonly #log: Logger;
  readonly #timers: SessionTimers;
  readonly #transport: SenderTransport;
  readonly #persist: (record: SessionRecord) => Promise<void>;
  readonly #channels = new Map<string, ReceiverChannel>();
  readonly #journals = new Map<string, BlockSet>();
  readonly #reports = new Map<string, NakReport>();
  /** Fragments asked for while the current pass runs (interim reports), for the sender to re-send between blocks. */
  readonly #inPass = new InPassRepairQueue();
  readonly #lastHeard = new Map<string, number>();
  /** When each receiver attached, and its progress reports since (a mid-pass judgement needs a few seconds of them). */
  readonly #progressSince = new Map<string, { readonly attachedAt: number; reports: number }>();
  #lastMidPassJudge = 0;
  #wake: (() => void) | null = null;
  #sender: MulticastSender | null = null;
  /** Bytes sent by senders of this session that have closed, in this process. */
  #closedSendersBytes = 0;
  #running: Promise<void> | null = null;
  #persistTimer: NodeJS.Timeout | null = null;
  /** Server shutdown: the loop ends without finishing the session, which is resumed on restart. */
  #stopping = false;

  constructor(record: SessionRecord, manifest: Manifest, store: ImageStore, persist: (record: SessionRecord) => Promise<void>, log: Logger, timers: SessionTimers = DEFAULT_TIMERS,
    transport: SenderTransport = {}) {
    super();
    this.#transport = transport;
    this.record = record;
    this.manifest = manifest;
    this.#persist = persist;
    this.#timers = timers;
    this.#log = log.child({ session: record.id, image: record.image, version: record.version });
    this.sealed = new SealedBlocks(store, manifest, Buffer.from(record.key, 'base64'), record.id);
    for (const r of record.receivers) this.#journals.set(r.id, BlockSet.fromBase64(record.blockCount, r.completed));
  }

  /** How often each receiver should report progress: slower as the group grows. */
  get progressIntervalMs(): number {
    return progressIntervalFor(Math.max(this.record.expect, this.record.receivers.length));
  }

  /** Multicast UDP payload bytes this session sent since the server started (for metrics). */
  get multicastBytesSent(): number {
    return this.#closedSendersBytes + (this.#sender?.bytesSent ?? 0);
  }

  /**
   * Blocks in the receiver's journal: written and flushed on its machine, what it keeps across
   * a reset. Its progress's blocksDone may run ahead by the blocks of one flush.
   */
  journalBlocks(receiverId: string): number {
    return this.#journals.get(receiverId)?.count ?? 0;
  }

  /** A new session key: 32 random bytes. */
  static newKey(): string {
    return randomBytes(32).toString('base64');
  }

  get key(): Buffer {
    return Buffer.from(this.record.key, 'base64');
  }

  /** Starts (or, after a server restart, resumes) the stream in the background. */
  start(): void {
    this.#running ??= this.#run().catch((err: unknown) => {
      this.#log.error({ err }, 'session failed');
      this.record.phase = 'cancelled';
      void this.#save();
    });
  }

  /** Resolves when the multicast part of the session has ended. */
  async finished(): Promise<void> {
    await this.#running;
  }

  cancel(reason = 'cancelled by the operator'): void {
    if (this.record.phase === 'complete' || this.record.phase === 'cancelled') return;
    this.record.phase = 'cancelled';
    for (const channel of this.#channels.values()) channel.send({ type: 'cancel', reason });
    this.#sender?.stop();
    this.#wakeUp();
  }

  /** Registers (or re-registers) the receiver holding `token`. */
  register(token: string): Registration {
    let receiver = this.record.receivers.find((r) => r.token === token);
    if (!receiver) {
      const at = this.record.tokens.indexOf(token);
      if (at < 0) throw new RackcastError('RC_ERR_SESSION_BAD_TOKEN', 'this token does not belong to the session', { session: this.record.id });
      this.record.tokens.splice(at, 1);
      receiver = {
        id: `r${this.record.receivers.length + 1}`, token, state: 'registered', completed: new BlockSet(this.record.blockCount).toBase64(),
        straggler: false, failure: null, progress: null, backfilledBlocks: 0, registrations: 0, lastSeen: null,
      };
      this.record.receivers.push(receiver);
      this.#journals.set(receiver.id, new BlockSet(this.record.blockCount));
    }
    receiver.registrations++;
    if (receiver.state === 'lost' || receiver.state === 'failed') receiver.state = 'registered';
    receiver.failure = null;
    this.#heard(receiver.id);
    this.#log.info({ receiver: receiver.id, registrations: receiver.registrations }, 'receiver registered');
    void this.#save();
    this.#wakeUp();
    return { receiver, completed: this.#journals.get(receiver.id) as BlockSet };
  }

  /**
   * Withdraws an unused receiver token (a deploy member that failed before it registered), so
   * the session stops waiting for it. Returns false if the token was used or is unknown.
   */
  releaseToken(token: string): boolean {
    const at = this.record.tokens.indexOf(token);
    if (at < 0) return false;
    this.record.tokens.splice(at, 1);
    this.record.expect = Math.max(0, this.record.expect - 1);
    this.#log.info({ expect: this.record.expect }, 'receiver token withdrawn');
    void this.#save();
    this.#wakeUp();
    return true;
  }

  /** Finds the receiver a token belongs to (for the manifest, block and channel requests). */
  receiverFor(token: string): ReceiverRecord {
    const receiver = this.record.receivers.find((r) => r.token === token);
    if (!receiver) throw new RackcastError('RC_ERR_SESSION_BAD_TOKEN', 'this token has not registered with the session', { session: this.record.id });
    return receiver;
  }

  attach(receiverId: string, channel: ReceiverChannel): void {
    this.#channels.get(receiverId)?.close();
    this.#channels.set(receiverId, channel);
    this.#progressSince.set(receiverId, { attachedAt: Date.now(), reports: 0 });
    this.#heard(receiverId);
    const receiver = this.#receiver(receiverId);
    if (receiver.straggler || (this.record.phase !== 'transfer' && this.record.phase !== 'waiting' && receiver.state !== 'done')) channel.send({ type: 'backfill' });
    this.#wakeUp();
  }

  detach(receiverId: string, channel: ReceiverChannel): void {
    if (this.#channels.get(receiverId) !== channel) return;
    this.#channels.delete(receiverId);
    const receiver = this.#receiver(receiverId);
    if (receiver.state !== 'done' && receiver.state !== 'failed') {
      receiver.state = 'lost';
      receiver.failure = { code: 'RC_ERR_RECEIVER_LOST', message: 'the receiver\'s channel closed' };
      this.#log.warn({ receiver: receiverId }, 'receiver lost');
      void this.#save();
    }
    this.#wakeUp();
  }

  onProgress(receiverId: string, progress: ReceiverProgress, completed: readonly (readonly [number, number])[], state: 'receiving' | 'backfill'): void {
    const receiver = this.#receiver(receiverId);
    this.#heard(receiverId);
    receiver.progress = progress;
    if (receiver.state !== 'done' && receiver.state !== 'failed') receiver.state = state;
    const since = this.#progressSince.get(receiverId);
    if (since) since.reports++;
    this.#judgeMidPass();
    const journal = this.#journals.get(receiverId);
    if (journal && completed.length > 0) journal.addRanges(completed);
    this.emit('update', this);
    this.#saveSoon();
  }

  onReport(receiverId: string, received: NakReport): void {
    this.#heard(receiverId);
    const report = withinBlocks(received, this.record.blockCount);
    if (report.interim === true) {
      // Only for the pass being sent, and only from receivers the multicast works for: a
      // straggler's requests would slow the group it was taken out of.
      if (this.record.phase === 'transfer' && report.pass === this.record.pass && this.#eligible().some((x) => x.id === receiverId)) this.#inPass.add(report.entries);
      return;
    }
    this.#reports.set(receiverId, report);
    this.#wakeUp();
  }

  onDone(receiverId: string): void {
    const receiver = this.#receiver(receiverId);
    receiver.state = 'done';
    receiver.failure = null;
    this.#log.info({ receiver: receiverId }, 'receiver done');
    void this.#save();
    this.emit('update', this);
    this.#wakeUp();
  }

  onFail(receiverId: string, code: string, message: string): void {
    const receiver = this.#receiver(receiverId);
    receiver.state = 'failed';
    receiver.failure = { code, message };
    this.#log.warn({ receiver: receiverId, code }, 'receiver failed');
    void this.#save();
    this.emit('update', this);
    this.#wakeUp();
  }

  /** A sealed block for a receiver's HTTP backfill, as body and tag (sent one after the other). */
  async backfill(receiverId: string, index: number): Promise<SealedParts> {
    if (!Number.isInteger(index) || index < 0 || index >= this.record.blockCount) {
      throw new RackcastError('RC_ERR_BAD_REQUEST', `block ${index} is not in this session (0..${this.record.blockCount - 1})`);
    }
    this.#heard(receiverId);
    const sealed = await this.sealed.sealed(index);
    this.#receiver(receiverId).backfilledBlocks++;
    this.#saveSoon();
    return sealed;
  }

  #receiver(id: string): ReceiverRecord {
    const receiver = this.record.receivers.find((r) => r.id === id);
    if (!receiver) throw new RackcastError('RC_ERR_NOT_FOUND', `no receiver ${id}`);
    return receiver;
  }

  #heard(id: string): void {
    this.#lastHeard.set(id, Date.now());
    const receiver = this.record.receivers.find((r) => r.id === id);
    if (receiver) receiver.lastSeen = new Date().toISOString();
  }

  /** Receivers the multicast works for: live, not stragglers, not finished. */
  #eligible(): ReceiverRecord[] {
    const now = Date.now();
    return this.record.receivers.filter((r) => this.#channels.has(r.id) && !r.straggler
      && (r.state === 'registered' || r.state === 'receiving')
      && now - (this.#lastHeard.get(r.id) ?? 0) < this.#timers.deadAfterMs);
  }

  async #run(): Promise<void> {
    const r = this.record;
    const sender = new MulticastSender({ sessionId: r.id, group: r.group, port: r.port, interfaceAddress: r.interfaceAddress, ttl: r.ttl, datagramSize: r.datagramSize, rateBps: r.rateBps,
      ...this.#transport }, this.#log);
    this.#sender = sender;
    await sender.open();
    const announce = setInterval(() => this.#announce(), this.#timers.announceMs);
    try {
      await this.#waitForReceivers();
      if (r.phase === 'waiting') r.phase = 'transfer';
      await this.#save();
      this.#log.info({ receivers: r.receivers.length, blocks: r.blockCount, pass: r.pass }, 'transfer started');
      let items = this.#initialPass();
      while (r.phase === 'transfer' && !this.#stopping) {
        items = await this.#runPass(sender, items);
      }
      if (this.#stopping) return;
      if (r.phase === 'complete') r.finishedAt = new Date().toISOString();
      await sender.sendFinish(r.pass, r.phase === 'complete' ? FinishReason.Complete : FinishReason.Cancelled);
    } finally {
      clearInterval(announce);
      this.#announce();
      sender.close();
      this.#closedSendersBytes += sender.bytesSent;
      this.#sender = null;
      await this.#save();
      this.#log.info({ phase: r.phase, passes: r.pass, fragments: r.fragmentsSent, repairs: r.repairFragments }, 'multicast ended');
      this.emit('update', this);
    }
  }

  /** Pass 1 sends everything, unless every receiver already holds some blocks (a resumed session). */
  #initialPass(): PassItem[] {
    const active = this.record.receivers.filter((x) => x.state !== 'done' && x.state !== 'failed');
    const items: PassItem[] = [];
    for (let block = 0; block < this.record.blockCount; block++) {
      if (active.length === 0 || active.some((x) => !this.#journals.get(x.id)?.has(block))) items.push({ block });
    }
    return items;
  }

  async #runPass(sender: MulticastSender, items: readonly PassItem[]): Promise<PassItem[]> {
    const r = this.record;
    r.pass++;
    this.#inPass.clear();
    const started = Date.now();
    const result = await sender.sendPass(r.pass, items, this.sealed, (sent) => this.#inPass.take(Math.floor(sent.items * IN_PASS_REPAIR_SHARE) - sent.repairs));
    // What is still queued is in the PASS_END reports that follow.
    this.#inPass.clear();
    r.fragmentsSent += result.fragmentsSent;
    r.repairFragments += r.pass > 1 ? result.fragmentsSent : result.inPassRepairs;
    r.inPassRepairFragments = (r.inPassRepairFragments ?? 0) + result.inPassRepairs;
    if (r.phase !== 'transfer' || this.#stopping) return [];
    await sender.sendPassEnd(r.pass, result);
    const sent = Date.now();
    await this.#collectReports(r.pass);
    this.#log.info({ pass: r.pass, items: items.length, fragments: result.fragmentsSent, inPassRepairs: result.inPassRepairs, sendMs: sent - started, reportsMs: Date.now() - sent }, 'pass ended');
    this.#judge(sender);
    const eligible = this.#eligible();
    if (eligible.length === 0 && !(await this.#waitForLostReceivers())) {
      r.phase = 'complete';
      return [];
    }
    const reports = this.#eligible().map((x) => this.#reports.get(x.id)).filter((x): x is NakReport => x !== undefined && !x.complete);
    const next = planRepairPass(reports);
    const allComplete = this.#eligible().every((x) => this.#reports.get(x.id)?.complete === true);
    if (next.length === 0 && allComplete) r.phase = 'complete';
    else if (next.length === 0) await sleep(100); // reports still missing: a short empty pass asks again
    await this.#save();
    return next;
  }

  /** Waits until every eligible receiver answered this pass's PASS_END, or the report timeout. */
  async #collectReports(pass: number): Promise<void> {
    const deadline = Date.now() + this.#timers.reportTimeoutMs;
    while (Date.now() < deadline && this.record.phase === 'transfer') {
      if (this.#eligible().every((x) => (this.#reports.get(x.id)?.pass ?? 0) >= pass)) return;
      await this.#sleepUntilWoken(deadline - Date.now());
    }
  }

  /** Marks dead receivers lost, moves stragglers to backfill, lets the governor react. */
  #judge(sender: MulticastSender): void {
    const now = Date.now();
    for (const x of this.record.receivers) {
      if ((x.state === 'registered' || x.state === 'receiving') && now - (this.#lastHeard.get(x.id) ?? 0) >= this.#timers.deadAfterMs) {
        x.state = 'lost';
        x.failure = { code: 'RC_ERR_RECEIVER_LOST', message: `no word from the receiver for ${this.#timers.deadAfterMs} ms` };
        this.#log.warn({ receiver: x.id }, 'receiver lost');
      }
    }
    // Receivers that already finished are still the group a slow one is compared with (their last
    // pass's loss): otherwise, once the healthy ones are done, a lone slow receiver would never be
    // found and would get pass after pass of multicast it mostly loses. Only those still
    // receiving can be moved to backfill, and only their loss steers the rate.
    const eligible = new Set(this.#eligible().map((x) => x.id));
    const loss = new Map<string, number>();
    for (const x of this.record.receivers) {
      const report = this.#reports.get(x.id);
      if ((eligible.has(x.id) || (x.state === 'done' && !x.straggler)) && report && report.sent >= 64) loss.set(x.id, lossRate(report));
    }
    for (const id of findStragglers(loss, STRAGGLER_POLICY)) {
      if (eligible.has(id)) this.#moveToBackfill(id, loss.get(id) ?? 0);
    }
    const healthy = [...loss].filter(([id]) => eligible.has(id) && !this.#receiver(id).straggler).map(([, v]) => v);
    sender.governor.adjust(median(healthy));
  }

  /**
   * The straggler check between pass ends, from the receivers' progress (4 Hz in a small group,
   * slower in a large one; loss since they joined), at most once a second. A first pass is most of a deploy: judged only at its end, a
   * receiver on a slow link would chew through a whole image of multicast it mostly loses
   * (spilling partial blocks to its disk, using CPU and I/O) before it backfills. Each receiver
   * needs 2 s of reports first (and two of them), so early noise in its loss rate does not count.
   */
  #judgeMidPass(): void {
    const now = Date.now();
    if (this.record.phase !== 'transfer' || now - this.#lastMidPassJudge < 1000) return;
    this.#lastMidPassJudge = now;
    const eligible = this.#eligible();
    const loss = new Map<string, number>();
    for (const x of eligible) {
      const since = this.#progressSince.get(x.id);
      if (x.progress && since && since.reports >= 2 && now - since.attachedAt >= 2000) loss.set(x.id, x.progress.lossRate);
    }
    for (const id of findStragglers(loss, STRAGGLER_POLICY)) this.#moveToBackfill(id, loss.get(id) ?? 0);
  }

  #moveToBackfill(id: string, loss: number): void {
    const x = this.#receiver(id);
    x.straggler = true;
    x.state = 'backfill';
    this.#channels.get(id)?.send({ type: 'backfill' });
    this.#log.info({ receiver: id, loss }, 'straggler moved to backfill');
    void this.#save();
  }

  async #waitForReceivers(): Promise<void> {
    const r = this.record;
    let deadline = Date.now() + this.#timers.startTimeoutMs;
    while (!this.#stopping && (r.phase === 'waiting' || (r.phase === 'transfer' && this.#channels.size === 0))) {
      const attached = this.#channels.size;
      if (attached === 0 && r.waitForFirstReceiver) deadline = Date.now() + this.#timers.startTimeoutMs;
      if (r.phase === 'waiting' && r.expect === 0 && r.receivers.length === 0) {
        // Every receiver token was withdrawn (all deploy members refused): nothing to stream to.
        r.phase = 'cancelled';
        return;
      }
      if (r.phase === 'waiting' && attached >= r.expect) return;
      if (Date.now() >= deadline) {
        if (attached > 0) return;
        this.#giveUpOnAbsent();
        return;
      }
      await this.#sleepUntilWoken(deadline - Date.now());
    }
  }

  /**
   * No receiver connected before the start timeout (none came, or after a server restart none
   * came back): those not finished are marked lost with the reason, so no view shows them as
   * still receiving, and the session ends: complete if some receiver finished, else cancelled.
   */
  #giveUpOnAbsent(): void {
    const seconds = Math.round(this.#timers.startTimeoutMs / 1000);
    for (const x of this.record.receivers) {
      if (x.state === 'done' || x.state === 'failed') continue;
      x.state = 'lost';
      x.failure = { code: 'RC_ERR_RECEIVER_LOST', message: `the receiver did not connect within ${seconds} s of the session (re)starting` };
    }
    this.record.phase = this.record.receivers.some((x) => x.state === 'done') ? 'complete' : 'cancelled';
    this.#log.warn({ receivers: this.record.receivers.length, phase: this.record.phase }, 'no receiver came before the start timeout');
  }

  /** With no live receiver left, waits a while for a lost one to come back. */
  async #waitForLostReceivers(): Promise<boolean> {
    if (!this.record.receivers.some((x) => x.state === 'lost')) return false;
    const deadline = Date.now() + this.#timers.lostGraceMs;
    while (Date.now() < deadline && this.record.phase === 'transfer') {
      if (this.#eligible().length > 0) return true;
      await this.#sleepUntilWoken(deadline - Date.now());
    }
    return this.#eligible().length > 0;
  }

  #announce(): void {
    const phases = { waiting: SenderPhase.Waiting, transfer: SenderPhase.Transfer, complete: SenderPhase.Complete, cancelled: SenderPhase.Cancelled } as const;
    this.#sender?.sendAnnounce(this.record.pass, this.record.blockCount, phases[this.record.phase], 0);
  }

  #sleepUntilWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, Math.min(ms, 250)));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #saveSoon(): void {
    this.#persistTimer ??= setTimeout(() => {
      this.#persistTimer = null;
      void this.#save();
    }, 2000);
  }

  async #save(): Promise<void> {
    // The journals live as bitmaps; their base64 form is derived here, when saved, not on
    // every progress message.
    for (const r of this.record.receivers) r.completed = this.#journals.get(r.id)?.toBase64() ?? r.completed;
    try {
      await this.#persist(this.record);
    } catch (err) {
      this.#log.error({ err }, 'session state not saved');
    }
  }

  /** Stops timers (server shutdown); the record stays as last saved, to be resumed. */
  async shutdown(): Promise<void> {
    this.#stopping = true;
    if (this.#persistTimer) clearTimeout(this.#persistTimer);
    this.#persistTimer = null;
    this.#sender?.stop();
    this.#wakeUp();
    await this.#running;
    for (const channel of this.#channels.values()) channel.close();
    await this.#save();
  }
}
