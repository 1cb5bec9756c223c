import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DiskError } from './disk-error.js';
import { runDiskTool } from './disk-tool.js';
import type { FitContext } from './fit-context.js';
import type { GptHeader } from './gpt-header.js';
import { readPartitionTable, type PartitionTable } from './partition-table.js';

/** The primary GPT as sfdisk reads it, and sfdisk's own dump of it (a script that recreates it). */
export interface GptCopy {
  readonly table: PartitionTable;
  readonly script: string;
}

const HEAD_BYTES = 2 ** 20;

/**
 * Reads the image's GPT from a disk smaller than the image. sfdisk refuses such a table (its
 * last usable sector lies past the disk's end) and falls back to the protective MBR, so the
 * table is read from a scratch file of the image's size holding a copy of the disk's first MiB,
 * where the primary header and entries are. sfdisk then warns of the missing backup, uses the
 * primary and dumps it. Only 512-byte sectors: sfdisk 2.38 assumes them for files.
 */
export async function readGptFromHead(ctx: FitContext, header: GptHeader): Promise<GptCopy> {
  const ss = ctx.device.sectorSize;
  const entriesEnd = header.entriesLba * ss + header.entryCount * header.entrySize;
  if (ss !== 512 || entriesEnd > HEAD_BYTES) {
    throw new DiskError('RC_ERR_DISK_LAYOUT', `this disk is smaller than the image and its GPT (sector size ${ss}, entries ending at byte ${entriesEnd}) cannot be rewritten for it; only 512-byte sectors with entries in the first MiB are. Use a disk of at least ${ctx.plan.image.diskBytes} bytes.`);
  }
  const dir = await mkdtemp(join(ctx.tmpDir, 'rackcast-gpt-'));
  try {
    const scratch = join(dir, 'table');
    const head = Buffer.alloc(HEAD_BYTES);
    const handle = await open(ctx.device.path, 'r');
    try {
      await handle.read(head, 0, HEAD_BYTES, 0);
    } finally {
      await handle.close();
    }
    await writeFile(scratch, head);
    await truncate(scratch, ctx.plan.image.diskBytes);
    const table = await readPartitionTable(ctx.runner, scratch);
    if (table.label !== 'gpt') throw new DiskError('RC_ERR_DISK_LAYOUT', `the first MiB of ${ctx.device.name} holds no GPT that sfdisk can read; the plan says gpt`);
    const script = (await runDiskTool(ctx.runner, 'sfdisk', ['--dump', scratch])).stdout;
    return { table, script };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The dump edited for the smaller disk: no `device` and `last-lba` (sfdisk computes them from
 * the disk), and the resized partition (found by its start) with its new size. Disk and
 * partition GUIDs, names, types, attributes and first-lba stay as they were.
 */
export function editGptScript(script: string, resize: { readonly start: number; readonly newSize: number } | null): string {
  let edited = 0;
  const lines = script.split('\n').filter((l) => !/^(device|last-lba):/.test(l)).map((line) => {
    if (resize === null || !new RegExp(`\\bstart=\\s*${resize.start},`).test(line)) return line;
    edited += 1;
    return line.replace(/\bsize=\s*\d+/, `size=${resize.newSize}`);
  });
  if (resize !== null && edited !== 1) throw new DiskError('RC_ERR_DISK_LAYOUT', `the GPT dump has ${edited} partitions starting at sector ${resize.start}, expected 1`);
  return lines.join('\n');
}
