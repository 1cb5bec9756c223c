import { execFile } from 'node:child_process';
import { RackcastError } from '../errors.js';

/** What `qemu-img info` tells about an image file. */
export interface QemuImageInfo {
  readonly format: string;
  readonly virtualSize: number;
}

/** Converting a large image can take long; a hung qemu-img must not hang an import forever. */
const CONVERT_TIMEOUT_MS = 6 * 60 * 60 * 1000;
const INFO_TIMEOUT_MS = 60 * 1000;

function run(args: readonly string[], timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('qemu-img', args, { timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new RackcastError('RC_ERR_IMPORT_TOOL_MISSING', 'qemu-img is not installed (Debian package qemu-utils); run scripts/install-deps.sh', {}, { cause: err }));
      }
      const why = stderr.trim().split('\n').at(-1) ?? err.message;
      reject(new RackcastError('RC_ERR_IMPORT_UNREADABLE', `qemu-img could not read the image: ${why.replace(/^qemu-img: /, '')}`, {}, { cause: err }));
    });
  });
}

/** `qemu-img info` of a file in a given format (never auto-probed: the format is ours to say). */
export async function qemuImageInfo(file: string, format: string): Promise<QemuImageInfo> {
  const out = await run(['info', '--output=json', '-f', format, file], INFO_TIMEOUT_MS);
  const info = JSON.parse(out) as { format?: unknown; 'virtual-size'?: unknown };
  if (typeof info.format !== 'string' || typeof info['virtual-size'] !== 'number') {
    throw new RackcastError('RC_ERR_IMPORT_UNREADABLE', 'qemu-img info returned no format or size');
  }
  return { format: info.format, virtualSize: info['virtual-size'] };
}

/** Converts an image to a sparse raw file; a truncated or damaged image fails here. */
export async function convertToRaw(file: string, format: string, out: string): Promise<void> {
  await run(['convert', '-q', '-f', format, '-O', 'raw', '-S', '4k', file, out], CONVERT_TIMEOUT_MS);
}
