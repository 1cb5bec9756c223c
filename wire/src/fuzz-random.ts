/**
 * Seeded randomness and byte helpers shared by the codecs' fuzz tests (`*\/fuzz.test.ts`), other
 * tests and benchmarks: one PRNG so a failure or a run reproduces exactly from its seed. Test
 * support only: reached as `@rackcast/wire/fuzz-random`, not from the package index.
 */

export type Rng = () => number;

/** mulberry32: a tiny seeded PRNG, so a failure reproduces exactly. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [lo, hi]. */
export const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;

export function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rng() * 256);
  return out;
}

/** Hex of the bytes, for failure reports. */
export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** `bytes` with `remove` bytes at `at` replaced by `insert` (a new array). */
export function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength - remove + insert.byteLength);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.byteLength);
  return out;
}

/** A JSON container a mutation can write into. */
export type Container = Record<string, unknown> | unknown[];

/** Every container in a JSON tree with a key in it, so a mutation can reach any field. */
export function slots(value: unknown, out: [Container, string | number][] = []): [Container, string | number][] {
  if (Array.isArray(value)) value.forEach((v, i) => { out.push([value, i]); slots(v, out); });
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) { out.push([value as Record<string, unknown>, k]); slots(v, out); }
  }
  return out;
}
