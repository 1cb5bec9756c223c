/**
 * A FIFO async mutex. The store runs its index-changing steps (commit, remove, gc, verify)
 * one at a time so reference counts and file deletions never interleave.
 */
export class WriterLock {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `work` after every earlier holder has finished. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => { release = resolve; });
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}
