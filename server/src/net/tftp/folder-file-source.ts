import { constants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { RackcastError } from '../../errors.js';
import { parseRequestPath } from './request-path.js';
import { handleFile, memoryFile, type TftpFile, type TftpFileSource } from './tftp-file.js';

/** Files up to this size are read whole at open; bigger ones are read by position. */
export const WHOLE_FILE_LIMIT = 4 * 1024 * 1024;

export interface FolderFileSourceOptions {
  /** The folder served; nothing outside it is opened. Example: "/usr/lib/ipxe" */
  readonly root: string;
  /**
   * Files outside the root that a symbolic link inside it may lead to; missing ones are
   * skipped. Example: ["/boot/ipxe.efi"]
   */
  readonly linkTargets?: readonly string[];
  /** Files up to this many bytes are read into memory at open. Example: 4194304 */
  readonly wholeFileLimit?: number;
}

const notFound = (reason: string): RackcastError =>
  new RackcastError('RC_ERR_TFTP_FILE_NOT_FOUND', 'the requested file is not in the TFTP folder (boot.ipxeDir)', { reason });
const denied = (reason: string): RackcastError =>
  new RackcastError('RC_ERR_TFTP_ACCESS_DENIED', 'the request names a file outside the TFTP folder (boot.ipxeDir) and was refused', { reason });

/** Maps a file system error while resolving or opening to a refusal; anything else is rethrown. */
function refusalOf(err: unknown): RackcastError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return notFound('no such file');
  if (code === 'ELOOP') return denied('symbolic link loop or link swapped in');
  if (code === 'EACCES' || code === 'EPERM') return denied('not readable by the server');
  if (code === 'EISDIR') return notFound('a folder, not a file');
  throw err;
}

/**
 * Serves one folder read-only. Every request is resolved to a real path (symbolic links
 * followed) that must lie inside the folder's real path, or be one of the allowed link
 * targets, before anything is opened; the file is then opened with O_NOFOLLOW so a link
 * swapped in between cannot lead elsewhere. Only regular files are served (O_NONBLOCK keeps
 * a FIFO from blocking the open).
 */
export class FolderFileSource implements TftpFileSource {
  readonly root: string;
  readonly #linkTargets: ReadonlySet<string>;
  readonly #wholeFileLimit: number;

  private constructor(root: string, linkTargets: ReadonlySet<string>, wholeFileLimit: number) {
    this.root = root;
    this.#linkTargets = linkTargets;
    this.#wholeFileLimit = wholeFileLimit;
  }

  /** Checks the folder exists and resolves it and the link targets once. */
  static async create(options: FolderFileSourceOptions): Promise<FolderFileSource> {
    let root: string;
    try {
      root = await realpath(options.root);
      if (!(await stat(root)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    } catch (err) {
      throw new RackcastError('RC_ERR_CONFIG_INVALID', `config key boot.ipxeDir: ${options.root} is not a readable folder (install Debian's ipxe package or point boot.ipxeDir at the iPXE binaries)`, { root: options.root }, { cause: err });
    }
    const targets = await Promise.all((options.linkTargets ?? []).map((t) => realpath(t).catch(() => null)));
    return new FolderFileSource(root, new Set(targets.filter((t): t is string => t !== null)), options.wholeFileLimit ?? WHOLE_FILE_LIMIT);
  }

  async open(name: string): Promise<TftpFile> {
    const real = await this.#resolve(name);
    let handle: FileHandle;
    try {
      handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      throw refusalOf(err);
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw notFound('not a regular file');
      if (st.size > this.#wholeFileLimit) return handleFile(handle, st.size);
      const bytes = await handle.readFile();
      await handle.close();
      return memoryFile(bytes);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /** The real path a request names, once it is known to be inside the root or an allowed target. */
  async #resolve(name: string): Promise<string> {
    const path = parseRequestPath(name);
    if (!path.ok) throw path.reason === 'empty path' ? notFound(path.reason) : denied(path.reason);
    let real: string;
    try {
      real = await realpath(join(this.root, ...path.segments));
    } catch (err) {
      throw refusalOf(err);
    }
    if (!real.startsWith(this.root + sep) && !this.#linkTargets.has(real)) throw denied('symbolic link leads outside the folder');
    return real;
  }
}
