/** What went wrong in a probe, one line, for the profile's `problems`. */
export type ProblemSink = (line: string) => void;

/**
 * Runs one probe with a deadline. A probe that throws or runs late yields `fallback` and one
 * problem line; it never fails the profile. A late probe is abandoned, not cancelled: its
 * child processes or file reads finish in the background and their answer is ignored.
 */
export async function boundedProbe<T>(name: string, timeoutMs: number, run: () => Promise<T>, fallback: T, problem: ProblemSink): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    // Not unref'd: a hung probe must still end in its deadline when nothing else is pending.
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([run(), late]);
  } catch (err) {
    problem(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    return fallback;
  } finally {
    clearTimeout(timer);
  }
}
