import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Manifest } from '@rackcast/wire';
import { openBlockTarget, verifyOnTarget } from '../receive/index.js';
import { DeployError } from './deploy-error.js';

const run = promisify(execFile);

/** Progress callbacks at most this often (blocks), so a large disk does not flood the reporter. */
const REPORT_EVERY = 16;

/**
 * Reads every block of the image back from the disk and compares it with the manifest's hash:
 * the receiver hashed what it wrote, this checks what the disk holds (boot area included, which
 * was written last). A block device's buffer cache is dropped first (BLKFLSBUF through
 * `blockdev --flushbufs`), so the reads come from the disk rather than from memory; a file
 * target (tests) reads through the page cache.
 */
export async function verifyTarget(
  devicePath: string, manifest: Manifest, onProgress: (blocksDone: number, bytesDone: number) => void,
  /** For blocks past a smaller target's end: the hash of their part inside it (MulticastReceiver.clippedHashes). */
  clippedHashes: ReadonlyMap<number, Uint8Array> = new Map(),
): Promise<void> {
  const info = await stat(devicePath);
  if (info.isBlockDevice()) await run('blockdev', ['--flushbufs', devicePath], { timeout: 30_000 }).catch(() => undefined);
  const target = await openBlockTarget(devicePath, 0, 0);
  try {
    let bytes = 0;
    for (const block of manifest.blocks) {
      if (!(await verifyOnTarget(target, manifest, block.index, clippedHashes.get(block.index)))) {
        throw new DeployError('RC_ERR_DEPLOY_VERIFY', `block ${block.index} (bytes ${block.offset}..${block.offset + block.length}) reads back different from the image: the disk may be failing; replace it or deploy again`);
      }
      bytes += block.length;
      if (block.index % REPORT_EVERY === REPORT_EVERY - 1) onProgress(block.index + 1, bytes);
    }
    onProgress(manifest.blocks.length, bytes);
  } finally {
    await target.close();
  }
}
