import { open, rename, stat, unlink } from 'node:fs/promises';
import { RackcastError } from '../errors.js';
import type { ImageStore, VersionRecord, VersionSelector } from '../store/index.js';
import { forEachLimited } from '../task-pool.js';
import type { TransferProgress } from './import-image.js';

export interface ExportOptions {
  readonly name: string;
  readonly version: VersionSelector;
  /** Output path of the raw image. */
  readonly out: string;
  /** Replace an existing file at `out`. */
  readonly force?: boolean;
  readonly onProgress?: (progress: TransferProgress) => void;
}

export interface ExportResult {
  readonly version: VersionRecord;
  readonly out: string;
  readonly bytesWritten: number;
}

/**
 * Writes a version as a sparse raw disk image: unused regions stay holes. Every block is
 * verified against its hash as it is read; the output appears under its name only when
 * complete (written as `<out>.partial`, fsynced, renamed), so a failed export never leaves a
 * file that looks like a good image.
 */
export async function exportImage(store: ImageStore, options: ExportOptions): Promise<ExportResult> {
  const version = await store.resolveVersion(options.name, options.version);
  const manifest = await store.readManifest(version);
  if (!options.force && (await stat(options.out).catch(() => null))) {
    throw new RackcastError('RC_ERR_EXPORT_EXISTS', `${options.out} already exists (use --force to replace it)`, { out: options.out });
  }
  const partial = `${options.out}.partial`;
  const handle = await open(partial, 'w', 0o644);
  let bytesWritten = 0;
  try {
    await handle.truncate(manifest.diskSize);
    await forEachLimited(manifest.blocks, 4, async (block) => {
      const raw = await store.readBlock(block.hash);
      await handle.write(raw, 0, raw.byteLength, block.offset);
      bytesWritten += raw.byteLength;
      options.onProgress?.({ done: bytesWritten, total: version.usedBytes });
    });
    await handle.sync();
    await handle.close();
    await rename(partial, options.out);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(partial).catch(() => undefined);
    if (err instanceof RackcastError) throw err;
    throw new RackcastError('RC_ERR_EXPORT_FAILED', `export to ${options.out} failed: ${(err as Error).message}`, { out: options.out }, { cause: err });
  }
  store.log.info({ image: options.name, version: version.version, bytes: bytesWritten }, 'version exported');
  return { version, out: options.out, bytesWritten };
}
