import { open } from 'node:fs/promises';

/**
 * Writes a small raw disk with an MBR signature and deterministic data regions, for tests
 * that need a valid image but not a real filesystem. `regions` are [offset, length, seed].
 */
export async function writeSyntheticDisk(path: string, size: number, regions: readonly (readonly [number, number, number])[]): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.truncate(size);
    const mbr = Buffer.alloc(512);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    await handle.write(mbr, 0, 512, 0);
    for (const [offset, length, seed] of regions) await handle.write(pattern(length, seed), 0, length, offset);
  } finally {
    await handle.close();
  }
}

/** Deterministic, partly compressible bytes. */
export function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = i % 3 === 0 ? x & 0xff : 32 + (i % 64);
  }
  return out;
}
