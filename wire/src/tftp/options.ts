import type { TftpOption } from './packet.js';

/** Block size without negotiation (RFC 1350). */
export const TFTP_DEFAULT_BLOCK_SIZE = 512;

/** The options this codec understands and the values their RFCs allow. */
export const TFTP_OPTION_RANGES = {
  blksize: { min: 8, max: 65464 }, // RFC 2348
  timeout: { min: 1, max: 255 }, // RFC 2349, seconds
  tsize: { min: 0, max: Number.MAX_SAFE_INTEGER }, // RFC 2349, octets (0 in an RRQ)
  windowsize: { min: 1, max: 65535 }, // RFC 7440
} as const;
export type TftpOptionName = keyof typeof TFTP_OPTION_RANGES;

/** Option values a request asked for, each within its RFC range; absent = not asked. */
export interface TftpRequestedOptions {
  /** Example: 1468 */
  readonly blksize?: number;
  /** Seconds. Example: 5 */
  readonly timeout?: number;
  /** Example: 0 (an RRQ asking for the size) */
  readonly tsize?: number;
  /** Example: 4 */
  readonly windowsize?: number;
}

/** Why an option of a request was not taken. */
export type TftpOptionProblemReason = 'unknown option' | 'repeated option' | 'not a decimal number' | 'out of range';

export interface TftpOptionProblem {
  readonly name: string;
  readonly value: string;
  readonly reason: TftpOptionProblemReason;
}

export interface ParsedTftpOptions {
  readonly requested: TftpRequestedOptions;
  /** Options left out of `requested`; RFC 2347 says to ignore them, not to fail the request. */
  readonly problems: readonly TftpOptionProblem[];
}

/** Digits only, no sign, no spaces; more than 16 digits cannot be a value any option allows. */
const DECIMAL = /^[0-9]{1,16}$/;

function isKnown(name: string): name is TftpOptionName {
  return Object.hasOwn(TFTP_OPTION_RANGES, name);
}

/**
 * Reads the options of a request into typed values. Names are already lowercased by the
 * decoder. Unknown, repeated (the first one counts), non-numeric and out-of-range options are
 * reported as problems and left out, so the caller can log them and go on without them.
 */
export function parseTftpOptions(options: readonly TftpOption[]): ParsedTftpOptions {
  const requested: Partial<Record<TftpOptionName, number>> = {};
  const problems: TftpOptionProblem[] = [];
  const seen = new Set<string>();
  for (const { name, value } of options) {
    const problem = problemOf(name, value, seen);
    seen.add(name);
    if (problem !== null) problems.push({ name, value, reason: problem });
    else requested[name as TftpOptionName] = Number(value);
  }
  return { requested, problems };
}

function problemOf(name: string, value: string, seen: ReadonlySet<string>): TftpOptionProblemReason | null {
  if (!isKnown(name)) return 'unknown option';
  if (seen.has(name)) return 'repeated option';
  if (!DECIMAL.test(value)) return 'not a decimal number';
  const n = Number(value);
  const range = TFTP_OPTION_RANGES[name];
  return n >= range.min && n <= range.max ? null : 'out of range';
}

/** The options an OACK carries, in a fixed order, as strings. */
export function tftpOptionList(values: TftpRequestedOptions): TftpOption[] {
  const order: readonly TftpOptionName[] = ['blksize', 'tsize', 'timeout', 'windowsize'];
  return order.flatMap((name) => {
    const v = values[name];
    return v === undefined ? [] : [{ name, value: String(v) }];
  });
}
