import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { RackcastError } from '../errors.js';

/** What `qemu-img info` tells about an image file. */
export interface QemuImageInfo {
  readonly format: string;
  readonly virtualSize: number;
}

/** Converting a large image can take long; a hung qemu-img must not hang an import forever. */
const CONVERT_TIMEOUT_MS = 6 * 60 * 60 * 1000;
const QUERY_TIMEOUT_MS = 10 * 60 * 1000;

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs qemu-img; resolves with its exit code (checked by the caller), rejects if it cannot run. */
function run(args: readonly string[], timeout: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile('qemu-img', args, { timeout, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      if (code === 'ENOENT') {
        return reject(new RackcastError('RC_ERR_IMPORT_TOOL_MISSING', 'qemu-img is not installed (Debian package qemu-utils); run scripts/install-deps.sh', {}, { cause: err }));
      }
      if (typeof code !== 'number') return reject(unreadable(err?.message ?? 'qemu-img failed', err));
      resolve({ code, stdout, stderr });
    });
  });
}

function unreadable(why: string, cause?: unknown): RackcastError {
  return new RackcastError('RC_ERR_IMPORT_UNREADABLE', `the image cannot be imported: ${why}`, {}, { cause });
}

function lastLine(text: string): string {
  return (text.trim().split('\n').at(-1) ?? '').replace(/^qemu-img: /, '');
}

/** `qemu-img info` of a file in a given format (never auto-probed: the format is ours to say). */
export async function qemuImageInfo(file: string, format: string): Promise<QemuImageInfo> {
  const { code, stdout, stderr } = await run(['info', '--output=json', '-f', format, file], QUERY_TIMEOUT_MS);
  if (code !== 0) throw unreadable(lastLine(stderr));
  const info = JSON.parse(stdout) as { format?: unknown; 'virtual-size'?: unknown };
  if (typeof info.format !== 'string' || typeof info['virtual-size'] !== 'number') throw unreadable('qemu-img info returned no format or size');
  return { format: info.format, virtualSize: info['virtual-size'] };
}

/** qemu-img check exit codes (qemu-img(1)). */
const CHECK_OK = 0;
const CHECK_LEAKS_ONLY = 3;
const CHECK_NOT_SUPPORTED = 63;

/**
 * Refuses a damaged or truncated container before converting it. NOTE: `qemu-img convert`
 * of a truncated qcow2 or vdi succeeds and fills the missing part with zeros, so conversion
 * alone would import a silently wrong disk. `qemu-img check` finds most damage (qcow2, vmdk,
 * vhdx); the allocation map finds data placed past the end of the file (vdi has no check).
 */
export async function checkContainer(file: string, format: string): Promise<void> {
  const check = await run(['check', '-f', format, file], QUERY_TIMEOUT_MS);
  if (check.code !== CHECK_OK && check.code !== CHECK_LEAKS_ONLY && check.code !== CHECK_NOT_SUPPORTED) {
    const errors = (check.stdout + check.stderr).split('\n').filter((l) => /^(ERROR|qemu-img:)/.test(l));
    throw unreadable(`${format} image is damaged or truncated (${lastLine(errors.join('\n')) || `qemu-img check exit ${check.code}`})`);
  }
  const map = await run(['map', '-f', format, '--output=json', file], QUERY_TIMEOUT_MS);
  if (map.code !== 0) throw unreadable(lastLine(map.stderr));
  const fileSize = (await stat(file)).size;
  const extents = JSON.parse(map.stdout) as { length: number; data: boolean; offset?: number }[];
  const beyond = extents.find((e) => e.data && e.offset !== undefined && e.offset + e.length > fileSize);
  if (beyond) {
    throw unreadable(`${format} image is truncated: data at file offset ${beyond.offset} runs past its end (${fileSize} bytes)`);
  }
}

/** Converts an image to a sparse raw file. */
export async function convertToRaw(file: string, format: string, out: string): Promise<void> {
  const { code, stderr } = await run(['convert', '-q', '-f', format, '-O', 'raw', '-S', '4k', file, out], CONVERT_TIMEOUT_MS);
  if (code !== 0) throw unreadable(lastLine(stderr));
}
