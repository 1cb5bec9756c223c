/**
 * How often each receiver of a session reports progress, from the size of the group: 4 Hz for
 * up to four receivers, then slower, so the whole group's reports to the one server stay
 * near 16 a second, down to once every 750 ms. The idea is RTCP's (RFC 3550 §6.2): the report
 * interval grows with the number of members so control traffic does not grow with the group.
 * The floor is 750 ms because a receiver silent for 3 s is taken for dead; four missed reports
 * must not be enough.
 */
export const BASE_PROGRESS_INTERVAL_MS = 250;
export const MAX_PROGRESS_INTERVAL_MS = 750;
const REPORTS_PER_SECOND = 16;

export function progressIntervalFor(receivers: number): number {
  const interval = (Math.max(1, receivers) * 1000) / REPORTS_PER_SECOND;
  return Math.round(Math.min(MAX_PROGRESS_INTERVAL_MS, Math.max(BASE_PROGRESS_INTERVAL_MS, interval)));
}
