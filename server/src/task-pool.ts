/**
 * Runs `work` over `items` with at most `limit` in flight, in order of start. Rejects with the
 * first error after the in-flight tasks settle (no task is left running unobserved).
 */
export async function forEachLimited<T>(items: Iterable<T> | AsyncIterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  for await (const item of items) {
    if (failure) break;
    const task = work(item).catch((error: unknown) => { failure ??= { error }; });
    const tracked = task.finally(() => running.delete(tracked));
    running.add(tracked);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw (failure as { error: unknown }).error;
}
