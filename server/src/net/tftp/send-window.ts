/** What an ACK did to the window. */
export type AckOutcome = 'advanced' | 'complete' | 'duplicate' | 'unexpected';

/**
 * The sender's side of a read transfer as a pure state machine: which blocks are in flight
 * and what an ACK means. Blocks are numbered from 1 without limit here; on the wire they are
 * taken modulo 2^16, rolling over to 0 as tftpd-hpa and the clients it serves expect. Blocks
 * in flight never span more than the negotiated window (at most 65535, RFC 7440's maximum),
 * so they plus the block before them span fewer than 2^16 numbers and every 16-bit ACK names
 * exactly one of them.
 *
 * RFC 7440 §4: an ACK for block k of the window means the client has everything up to k; the
 * next window starts at k + 1 (after a loss, that is where the client's in-order data ended).
 *
 * NOTE: the window is never made smaller than negotiated, as TCP-style congestion control
 * would: receivers (atftp) ACK only after a full window of the negotiated size or on their own
 * timeout, seconds later. Tried: halving the window on timeouts turned one lost burst into a
 * stall of tens of seconds.
 */
export class SendWindow {
  /** Number of the final block: the first one shorter than the block size (possibly empty). */
  readonly lastBlock: number;
  /** The negotiated window. */
  readonly windowSize: number;
  #base = 1;
  #highestSent = 0;

  constructor(size: number, blockSize: number, windowSize: number) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`file size ${size}`);
    if (!Number.isInteger(windowSize) || windowSize < 1 || windowSize > 65535) throw new RangeError(`window size ${windowSize}`);
    this.lastBlock = Math.floor(size / blockSize) + 1;
    this.windowSize = windowSize;
  }

  /** The first block not yet acknowledged. */
  get first(): number {
    return this.#base;
  }

  /** The last block of the window starting at `first`. */
  get last(): number {
    return Math.min(this.#base + this.windowSize - 1, this.lastBlock);
  }

  /** The highest block sent so far. */
  get highestSent(): number {
    return this.#highestSent;
  }

  get complete(): boolean {
    return this.#base > this.lastBlock;
  }

  /** Records that blocks up to `block` went out. */
  sent(block: number): void {
    if (block > this.#highestSent) this.#highestSent = block;
  }

  /**
   * Applies an ACK's 16-bit block number. `duplicate`: it names the block before the window,
   * which was acknowledged already; RFC 1123 §4.2.3.1 (Sorcerer's Apprentice) says not to
   * resend on it. `unexpected`: it names no block in flight (stale, or never sent).
   */
  ack(block: number): AckOutcome {
    if (this.complete) return 'duplicate';
    const before = this.#base - 1;
    const delta = (block - before) & 0xffff;
    if (delta === 0) return 'duplicate';
    const acked = before + delta;
    if (acked > this.last) return 'unexpected';
    this.#base = acked + 1;
    return this.complete ? 'complete' : 'advanced';
  }
}
