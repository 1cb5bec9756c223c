/**
 * The latest status of a machine job on its way to the server over the machine channel, which
 * comes and goes: a stage change goes at once, progress at most every `intervalMs`, and the
 * latest goes again when a channel opens, so a server that restarted (or a channel that
 * dropped) learns where the job is. Shared by the deploy and capture drivers.
 */
export class StatusRelay<M> {
  readonly #intervalMs: number;
  #latest: M | null = null;
  #send: ((message: M) => void) | null = null;
  #lastSentAt = 0;
  #pending: NodeJS.Timeout | null = null;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** A channel opened: statuses go to it from now on, starting with the latest. */
  attach(send: (message: M) => void): void {
    this.#send = send;
    this.flush();
  }

  /** The channel closed: statuses wait for the next one. */
  detach(): void {
    this.#send = null;
  }

  /** Replaces the latest status; sends it now when `urgent` (a stage change) or the interval has passed. */
  update(message: M, urgent: boolean): void {
    this.#latest = message;
    if (urgent || Date.now() - this.#lastSentAt >= this.#intervalMs) this.flush();
    else this.#pending ??= setTimeout(() => this.flush(), this.#intervalMs);
  }

  /** Sends the latest status now, if there is one and a channel is open. */
  flush(): void {
    if (this.#pending !== null) clearTimeout(this.#pending);
    this.#pending = null;
    if (this.#latest === null || this.#send === null) return;
    this.#lastSentAt = Date.now();
    this.#send(this.#latest);
  }
}
