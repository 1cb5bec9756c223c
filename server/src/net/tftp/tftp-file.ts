import type { FileHandle } from 'node:fs/promises';
import { RackcastError } from '../../errors.js';

/** A file being served, opened read-only. */
export interface TftpFile {
  /** Bytes in the file as it will be sent. */
  readonly size: number;
  /** The whole file when it is held in memory (small files, netascii); null when read by position. */
  readonly bytes: Uint8Array | null;
  /** `length` bytes from `position`, fewer only at the end of the file. */
  read(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Who is asking (for logs, and for a source that serves per client). */
export interface TftpClient {
  /** Example: "10.0.0.42" */
  readonly ip: string;
  /** The client's transfer ID (UDP port). Example: 2070 */
  readonly port: number;
}

/**
 * Where a TftpServer's files come from: the seam through which boot policy may plug in
 * (STYLE §3.2; netboot's tftp.Handler). FolderFileSource serves one folder.
 */
export interface TftpFileSource {
  /**
   * Opens a requested name as the client sent it. Rejects with RackcastError
   * RC_ERR_TFTP_FILE_NOT_FOUND or RC_ERR_TFTP_ACCESS_DENIED (details.reason says why) for a
   * refusal; any other rejection is a server fault.
   */
  open(name: string, client: TftpClient): Promise<TftpFile>;
}

/** A file held in memory. */
export function memoryFile(bytes: Uint8Array): TftpFile {
  return {
    size: bytes.byteLength,
    bytes,
    read: (position, length) => Promise.resolve(bytes.subarray(position, position + length)),
    close: () => Promise.resolve(),
  };
}

/**
 * A file read by position from an open handle. A read that comes back short of the size seen
 * at open means the file changed under the transfer: it fails rather than send a wrong file.
 */
export function handleFile(handle: FileHandle, size: number): TftpFile {
  return {
    size,
    bytes: null,
    async read(position, length) {
      const want = Math.max(0, Math.min(length, size - position));
      const buffer = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(buffer, got, want - got, position + got);
        if (bytesRead === 0) throw new RackcastError('RC_ERR_INTERNAL', 'the file shrank while it was being sent; send it again once it is complete', { position: position + got, size });
        got += bytesRead;
      }
      return buffer;
    },
    close: () => handle.close(),
  };
}
