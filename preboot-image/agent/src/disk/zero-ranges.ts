import { open } from 'node:fs/promises';
import { DiskError } from './disk-error.js';

/** A byte range of a disk. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

const CHUNK = 2 ** 20;

/** Writes zeros over each range of the disk (or file), then syncs it. */
export async function zeroRanges(devicePath: string, ranges: readonly ByteRange[]): Promise<void> {
  const handle = await open(devicePath, 'r+');
  try {
    const zeros = Buffer.alloc(CHUNK);
    for (const range of ranges) {
      let done = 0;
      while (done < range.length) {
        const { bytesWritten } = await handle.write(zeros, 0, Math.min(CHUNK, range.length - done), range.offset + done);
        if (bytesWritten === 0) throw new DiskError('RC_ERR_DISK_UNUSABLE', `${devicePath}: zeroing at byte ${range.offset + done} made no progress`);
        done += bytesWritten;
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}
