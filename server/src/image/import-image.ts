import { open, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { HashAlgorithm, type BlockEntry, type Manifest } from '@rackcast/wire';
import { RackcastError } from '../errors.js';
import { validateImageName, type ImageStore, type VersionRecord, type VersionMeta } from '../store/index.js';
import { forEachLimited } from '../task-pool.js';
import { detectContainer, recogniseRawDisk, SNIFF_LENGTH, type ContainerFormat } from './image-format.js';
import { extractPartitionTable } from './partition-table.js';
import { checkContainer, convertToRaw, qemuImageInfo } from './qemu-img.js';

/** Progress of a long import or export, in bytes of the disk. */
export interface TransferProgress {
  readonly done: number;
  readonly total: number;
}

export interface ImportOptions {
  /** The file to import: a raw disk image, or qcow2/vmdk/vdi/vhdx/vpc (converted with qemu-img). */
  readonly file: string;
  /** The image name; importing under an existing name adds a version. */
  readonly name: string;
  /** Accept a raw file that has no partition table or filesystem signature. */
  readonly allowUnknownRaw?: boolean;
  readonly profile?: VersionMeta['profile'];
  readonly config?: VersionMeta['config'];
  readonly onProgress?: (progress: TransferProgress) => void;
}

/** Bytes of blocks being hashed, compressed and written at once (LZ4 and writes run on libuv's pool). */
const IN_FLIGHT_BYTES = 8 * 1024 * 1024;

/**
 * Imports a disk image file as a new version of `name`. All-zero blocks are not stored and
 * blocks the store already has are not written again. The version appears only after every
 * block is durable; an interrupted import leaves no version, only unreferenced blocks for gc.
 */
export async function importImage(store: ImageStore, options: ImportOptions): Promise<VersionRecord> {
  validateImageName(options.name);
  const size = await regularFileSize(options.file);
  const head = await readHead(options.file, Math.min(size, SNIFF_LENGTH));
  const container = detectContainer(head);
  if (container === null) {
    checkRawDisk(options, head, size);
    return importRaw(store, options.file, options, { kind: 'import', file: basename(options.file), format: 'raw' });
  }
  return importContainer(store, options, container);
}

async function importContainer(store: ImageStore, options: ImportOptions, format: ContainerFormat): Promise<VersionRecord> {
  await qemuImageInfo(options.file, format);
  await checkContainer(options.file, format);
  const raw = join(store.options.dir, 'tmp', `import-${process.pid}-${Date.now()}.raw`);
  try {
    store.log.info({ image: options.name, format }, 'converting image to raw');
    await convertToRaw(options.file, format, raw);
    return await importRaw(store, raw, options, { kind: 'import', file: basename(options.file), format });
  } finally {
    await unlink(raw).catch(() => undefined);
  }
}

function checkRawDisk(options: ImportOptions, head: Buffer, size: number): void {
  if (size === 0 || size % 512 !== 0) {
    throw new RackcastError('RC_ERR_IMPORT_NOT_AN_IMAGE', `${options.file} is ${size} bytes, not a whole number of 512-byte sectors: not a disk image`, { file: options.file, size });
  }
  if (!options.allowUnknownRaw && recogniseRawDisk(head) === null) {
    throw new RackcastError('RC_ERR_IMPORT_NOT_AN_IMAGE',
      `${options.file} has no partition table or known filesystem and no image container header: not a disk image (use --raw to import it anyway)`,
      { file: options.file });
  }
}

async function importRaw(store: ImageStore, path: string, options: ImportOptions, source: VersionMeta['source']): Promise<VersionRecord> {
  const diskSize = await regularFileSize(path);
  const blockSize = store.options.blockSize;
  const writer = store.beginVersion(options.name);
  const handle = await open(path, 'r');
  try {
    const blocks: (BlockEntry | undefined)[] = [];
    let done = 0;
    const inFlight = Math.max(4, Math.floor(IN_FLIGHT_BYTES / blockSize));
    await forEachLimited(readUsedBlocks(handle, diskSize, blockSize), inFlight, async ({ slot, offset, data }) => {
      const { hash } = await writer.addBlock(data);
      blocks[slot] = { index: slot, offset, length: data.byteLength, hash };
      done = Math.max(done, offset + data.byteLength);
      options.onProgress?.({ done, total: diskSize });
    });
    const head = await readAt(handle, 0, Math.min(diskSize, 64 * 1024));
    const partitionTable = await extractPartitionTable(head, diskSize, (n) => readAt(handle, diskSize - n, n));
    const manifest: Manifest = { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize, diskSize, partitionTable, blocks: blocks as BlockEntry[] };
    options.onProgress?.({ done: diskSize, total: diskSize });
    return await writer.commit(manifest, { source, profile: options.profile ?? null, config: options.config ?? null });
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    await handle.close();
  }
}

interface UsedBlock {
  /** Position in the manifest (counts only used blocks). */
  readonly slot: number;
  readonly offset: number;
  readonly data: Buffer;
}

/** Reads the disk block by block and yields the blocks that are not all zeros. */
async function* readUsedBlocks(handle: Awaited<ReturnType<typeof open>>, diskSize: number, blockSize: number): AsyncGenerator<UsedBlock> {
  const zeros = Buffer.alloc(blockSize);
  let slot = 0;
  for (let offset = 0; offset < diskSize; offset += blockSize) {
    const length = Math.min(blockSize, diskSize - offset);
    const data = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(data, 0, length, offset);
    if (bytesRead !== length) throw new RackcastError('RC_ERR_IMPORT_UNREADABLE', `short read at offset ${offset}: the file changed size during import`);
    if (data.equals(length === blockSize ? zeros : zeros.subarray(0, length))) continue;
    yield { slot: slot++, offset, data };
  }
}

async function readAt(handle: Awaited<ReturnType<typeof open>>, offset: number, length: number): Promise<Buffer> {
  const data = Buffer.alloc(length);
  await handle.read(data, 0, length, offset);
  return data;
}

async function readHead(file: string, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    return await readAt(handle, 0, length);
  } finally {
    await handle.close();
  }
}

/** Size of a regular file; clear errors for a missing path or a directory/device. */
async function regularFileSize(file: string): Promise<number> {
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new RackcastError('RC_ERR_IMPORT_FILE_NOT_FOUND', `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, { file }, { cause: err });
  });
  if (!info.isFile()) throw new RackcastError('RC_ERR_IMPORT_NOT_AN_IMAGE', `${file} is not a regular file`, { file });
  return info.size;
}
