import { RackcastError } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, bit: 1, k: 1e3, kbit: 1e3, m: 1e6, mbit: 1e6, g: 1e9, gbit: 1e9 };

/** Parses a rate in bits per second: 950000000, "950mbit", "1gbit", "100m". 0 = unlimited. */
export function parseBitRate(value: string | number): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(value));
  const unit = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new RackcastError('RC_ERR_BAD_REQUEST', `rate ${JSON.stringify(value)} is not a bit rate such as 950mbit or 1gbit`);
  return Math.round(Number(m[1]) * unit);
}
