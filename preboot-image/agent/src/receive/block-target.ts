import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { ReceiveError } from './receive-error.js';

/**
 * Where the image is written: a regular file or a block device. Offsets are the manifest's
 * disk offsets. Declares its size; the receiver refuses a target that is too small before it
 * writes a byte.
 */
export interface BlockTarget {
  readonly path: string;
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
  write(data: Uint8Array, offset: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens a target for writing. A regular file that does not exist is created (sparse) at
 * `needed` bytes; an existing file or a block device must already be at least `minimum`
 * bytes (default `needed`; a deploy passes the image's used end, since a target may be
 * smaller than the source disk), else RC_ERR_DISK_TOO_SMALL and nothing is written.
 */
export async function openBlockTarget(path: string, needed: number, minimum = needed): Promise<BlockTarget> {
  const info = await stat(path).catch(() => null);
  let handle: FileHandle;
  let size: number;
  if (info === null) {
    handle = await open(path, 'w+', 0o644);
    await handle.truncate(needed);
    size = needed;
  } else if (info.isFile() || info.isBlockDevice()) {
    size = info.isFile() ? info.size : await blockDeviceSize(info.rdev);
    if (size < minimum) {
      throw new ReceiveError('RC_ERR_DISK_TOO_SMALL', `${path} has ${size} bytes but the image needs ${minimum}; nothing was written`);
    }
    handle = await open(path, 'r+');
  } else {
    throw new ReceiveError('RC_ERR_DISK_UNUSABLE', `${path} is neither a regular file nor a block device`);
  }
  return {
    path,
    size,
    async read(offset, length) {
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buf.subarray(0, done);
    },
    async write(data, offset) {
      // pwrite may write less than asked (signals, memory pressure on tmpfs): loop until all is out.
      let done = 0;
      while (done < data.byteLength) {
        const { bytesWritten } = await handle.write(data, done, data.byteLength - done, offset + done);
        if (bytesWritten === 0) throw new ReceiveError('RC_ERR_DISK_UNUSABLE', `${path}: write at ${offset + done} made no progress`);
        done += bytesWritten;
      }
    },
    sync: () => handle.sync(),
    close: () => handle.close(),
  };
}

/**
 * Major and minor of a Linux device number, as glibc's gnu_dev_major/minor split it: minors of
 * 256 and more (NVMe partitions, many loop devices) keep their high bits above bit 20.
 */
export function splitDeviceNumber(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  return { major: Number(major), minor: Number(minor) };
}

/** Size of a block device from sysfs (512-byte sectors); Node's stat reports 0 for devices. */
async function blockDeviceSize(rdev: number): Promise<number> {
  const { major, minor } = splitDeviceNumber(rdev);
  const sectors = await readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8').catch(() => '0');
  return Number(sectors.trim()) * 512;
}
