import type { ByteRange } from '../disk/index.js';
import { appendRange } from './domain-map.js';

/** What `dumpe2fs` says about an ext2/3/4 file system's allocation. */
export interface ExtAllocation {
  readonly blockSize: number;
  readonly blockCount: number;
  /** Byte ranges in use, relative to the start of the file system. */
  readonly used: ByteRange[];
}

function headerNumber(text: string, name: string): number {
  const m = new RegExp(`^${name}:[ \\t]+(\\d+)[ \\t]*$`, 'm').exec(text);
  if (!m?.[1]) throw new Error(`dumpe2fs printed no "${name}:" line`);
  return Number(m[1]);
}

/**
 * Parses `dumpe2fs` output into the blocks in use: every block of the file system but those
 * its groups list as "Free blocks: a-b, c, …". Block n starts n × block size bytes into the file
 * system (also on 1 KiB file systems, whose block 0 is the boot block). Groups with
 * BLOCK_UNINIT are listed by libext2fs from their computed bitmaps, so they need no special case.
 */
export function parseDumpe2fs(text: string): ExtAllocation {
  const blockSize = headerNumber(text, 'Block size');
  const blockCount = headerNumber(text, 'Block count');
  const free: [number, number][] = [];
  for (const m of text.matchAll(/^[ \t]+Free blocks:[ \t]*(.*)$/gm)) {
    for (const part of (m[1] ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
      const r = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!r) throw new Error(`dumpe2fs: cannot read free block range ${JSON.stringify(part)}`);
      const first = Number(r[1]);
      const last = r[2] === undefined ? first : Number(r[2]);
      if (last < first || last >= blockCount) throw new Error(`dumpe2fs: free block range ${part} is outside the file system (${blockCount} blocks)`);
      free.push([first, last]);
    }
  }
  free.sort((a, b) => a[0] - b[0]);
  const used: ByteRange[] = [];
  let next = 0;
  for (const [first, last] of free) {
    if (first > next) appendRange(used, next * blockSize, (first - next) * blockSize);
    next = Math.max(next, last + 1);
  }
  if (next < blockCount) appendRange(used, next * blockSize, (blockCount - next) * blockSize);
  return { blockSize, blockCount, used };
}
