import type { ExportResult } from '../image/index.js';
import type { TransferProgress } from '../image/index.js';
import type { GcReport, ImageSummary, VerifyReport, VersionRecord, VersionSelector } from '../store/index.js';

/**
 * What the CLI asks of the image store. It is served either by opening the store in this
 * process or, when a running server holds the store, by that server's API, so commands work
 * the same way with the server up or down.
 */
export interface StoreClient {
  /** "store" when the store is open in this process, "server" when a server does the work. */
  readonly via: 'store' | 'server';
  listImages(): Promise<ImageSummary[]>;
  listVersions(name: string): Promise<VersionRecord[]>;
  importImage(file: string, name: string, allowUnknownRaw: boolean, onProgress?: (p: TransferProgress) => void): Promise<VersionRecord>;
  exportImage(name: string, version: VersionSelector, out: string, force: boolean, onProgress?: (p: TransferProgress) => void): Promise<ExportResult>;
  removeImage(name: string): Promise<VersionRecord[]>;
  removeVersion(name: string, version: VersionSelector): Promise<VersionRecord>;
  verify(): Promise<VerifyReport>;
  gc(): Promise<GcReport>;
  close(): Promise<void>;
}
