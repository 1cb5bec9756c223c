import { rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { runCommand } from '../../../preboot-image/builder/dist/index.js';
import { SYSLINUX_FILES } from './host-inputs.js';
import { byteOffset, sfdiskScript, type DiskLayout } from './layout.js';

/** Copies a partition image into the disk file at `offset`, leaving its zero blocks as holes. */
async function writeAt(disk: string, part: string, offset: number): Promise<void> {
  await runCommand('dd', [`if=${part}`, `of=${disk}`, 'bs=1M', `seek=${offset}`, 'oflag=seek_bytes', 'conv=notrunc,sparse', 'status=none']);
}

/**
 * Writes the disk file `out` (atomically: a temporary name, then rename): a sparse file of the
 * layout's size, the GPT from sfdisk, the two partition images, and syslinux's gptmbr.bin as
 * the boot code of the protective MBR (its first 440 bytes; the partition entry stays).
 */
export async function assembleDisk(out: string, layout: DiskLayout, espImage: string, rootImage: string): Promise<void> {
  const partial = `${out}.partial-${process.pid}`;
  try {
    await writeFile(partial, '');
    await truncate(partial, layout.diskBytes);
    await runCommand('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', partial], { input: sfdiskScript(layout) });
    await writeAt(partial, espImage, byteOffset(layout.esp));
    await writeAt(partial, rootImage, byteOffset(layout.root));
    await runCommand('dd', [`if=${SYSLINUX_FILES.gptMbr}`, `of=${partial}`, 'bs=440', 'count=1', 'conv=notrunc', 'status=none']);
    await rename(partial, out);
  } finally {
    await rm(partial, { force: true });
  }
}

/** Bytes the file really occupies on the host (sparse files occupy less than their size). */
export async function allocatedBytes(path: string): Promise<number> {
  return (await stat(path)).blocks * 512;
}
