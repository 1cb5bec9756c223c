import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * The root logger: JSON lines on stderr (stdout stays free for command output and --json).
 * Children carry the fixed field vocabulary: mac, xid, ip, iface, session, image, version,
 * disk, block. Messages are lowercase phrases without interpolated values.
 */
export function createLogger(level: LevelWithSilent, destination: number = 2): Logger {
  return pino({ level, base: { svc: 'rackcast' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: destination, sync: false }));
}

/** A logger that drops everything, for library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
