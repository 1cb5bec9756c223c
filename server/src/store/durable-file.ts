import { open, rename, unlink } from 'node:fs/promises';

/**
 * Writes `data` to `tmpPath` and fsyncs it, then renames it to `path`. After a crash the
 * final name holds either nothing or the complete content; the caller fsyncs the directory
 * (at once, or batched before its index commit) to make the rename itself durable.
 */
export async function writeAndRename(tmpPath: string, path: string, data: Uint8Array): Promise<void> {
  const handle = await open(tmpPath, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(tmpPath).catch(() => undefined);
    throw err;
  }
  await handle.close();
  await rename(tmpPath, path);
}

/** fsyncs a file's data (by path; a missing file is skipped: gc may have removed it). */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!handle) return;
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a directory so renames into it survive a power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
