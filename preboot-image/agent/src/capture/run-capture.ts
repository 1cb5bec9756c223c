import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  BlockSet, decodeBaseFingerprints, diffAgainstFingerprints, encodeManifest, encodeManifestDelta, HashAlgorithm, newBlocksOf,
  type BlockEntry, type CapturedConfig, type CapturedFilesystem, type MachineProfile, type Manifest,
} from '@rackcast/wire';
import { runTool, type ToolRunner } from '../disk/index.js';
import { detectProfile } from '../profile/index.js';
import { planBlocks } from './block-plan.js';
import { CaptureError } from './capture-error.js';
import { CaptureLink, type CaptureInfo } from './capture-link.js';
import { openCaptureSource } from './capture-source.js';
import { readCapturedConfig } from './captured-config.js';
import { hashDisk, readPartitionTableBytes } from './hash-disk.js';
import { uploadBlocks, type BlockToUpload } from './upload-blocks.js';
import { buildUsedMap, type UsedMap } from './used-map.js';

export interface CaptureOptions {
  /** Boot server URL, e.g. "http://10.0.0.1:8080". */
  readonly server: string;
  /** The capture token `rackcast capture start` printed. */
  readonly token: string;
  /** Disk to capture: a block device ("/dev/sda") or a disk image file. Only read. */
  readonly source: string;
  /** The image the server expects, e.g. "web-07"; checked against the capture's, to catch a wrong token. */
  readonly image?: string;
  /** Hardware profile sent with the version; detected from `sysRoot` when absent; null sends none. */
  readonly profile?: MachineProfile | null;
  /** Runs sfdisk, blkid, partclone, dumpe2fs, debugfs, efibootmgr; the real tools by default. */
  readonly runner?: ToolRunner;
  /** sysfs, e.g. "/sys" (the default): disk size, partitions, firmware mode. */
  readonly sysRoot?: string;
  /** procfs, e.g. "/proc" (the default): a mounted source is refused. */
  readonly procRoot?: string;
  /** Scratch folder, e.g. "/tmp" (the default: the OS's). */
  readonly tmpDir?: string;
  /** Partition nodes of a disk image file (tests: partitions extracted as files); devices use /dev. */
  readonly partitionPath?: (n: number) => string | null;
  /** Block uploads in flight, e.g. 4 (the default). */
  readonly concurrency?: number;
  /** One console line. */
  readonly say?: (line: string) => void;
  /** Where the capture is (a machine job reports it to the server): each stage, with bytes for hashing and uploading. */
  readonly onProgress?: (stage: CaptureRunStage, progress: { readonly bytesDone: number; readonly bytesTotal: number } | null) => void;
  readonly now?: () => Date;
}

/** The stages runCapture goes through, in order. */
export type CaptureRunStage = 'mapping' | 'hashing' | 'uploading' | 'committing';

/** What a capture did, for the console and for tests. */
export interface CaptureResult {
  readonly capture: number;
  readonly image: string;
  readonly version: number;
  readonly offer: 'full' | 'delta';
  readonly baseVersion: number | null;
  /** Blocks in the new version and the bytes they cover. */
  readonly blocks: number;
  readonly capturedBytes: number;
  readonly diskSize: number;
  /** Bytes read from the source to find and hash the blocks (uploads read their blocks again). */
  readonly bytesRead: number;
  readonly uploaded: { readonly blocks: number; readonly frameBytes: number; readonly rawBytes: number };
  /** Body bytes on the wire, both ways, over every request (offers, fingerprints, frames, commit). */
  readonly wire: { readonly sent: number; readonly received: number; readonly requests: number };
  readonly filesystems: readonly CapturedFilesystem[];
  readonly seconds: { readonly map: number; readonly hash: number; readonly upload: number; readonly total: number };
}

/** Offer rounds: a re-offer follows a server restart or a base version removed meanwhile. */
const MAX_ROUNDS = 4;
const RETRY_CODES = ['RC_ERR_CAPTURE_NOT_OFFERED', 'RC_ERR_CAPTURE_BASE_CHANGED', 'RC_ERR_CAPTURE_INCOMPLETE'];

const seconds = (since: number): number => Math.round((performance.now() - since) / 10) / 100;

/** The zero-scanned file systems' used bytes are what the scan kept inside them. */
function withScannedBytes(map: UsedMap, blocks: readonly BlockEntry[]): CapturedFilesystem[] {
  return map.filesystems.map((fs) => {
    if (fs.method !== 'zero-scan') return fs;
    const end = fs.offset + fs.size;
    const used = blocks.reduce((n, b) => n + Math.max(0, Math.min(end, b.offset + b.length) - Math.max(fs.offset, b.offset)), 0);
    return { ...fs, usedBytes: used };
  });
}

/** The smaller of the full manifest and a delta against the base's fingerprints (docs/capture-protocol.md). */
async function chooseOffer(link: CaptureLink, info: CaptureInfo, manifest: Manifest): Promise<{ bytes: Uint8Array; offered: readonly BlockToUpload[] }> {
  const full = { bytes: encodeManifest(manifest), offered: manifest.blocks };
  if (info.base === null) return full;
  const delta = diffAgainstFingerprints(decodeBaseFingerprints(await link.fingerprints()), manifest);
  const bytes = encodeManifestDelta(delta);
  return bytes.byteLength < full.bytes.byteLength ? { bytes, offered: newBlocksOf(delta) } : full;
}

interface Prepared {
  readonly info: CaptureInfo;
  readonly manifest: Manifest;
  readonly config: CapturedConfig;
  readonly map: UsedMap;
  readonly bytesRead: number;
  readonly timing: { map: number; hash: number };
}

async function prepare(o: CaptureOptions, link: CaptureLink, handle: FileHandle, say: (line: string) => void): Promise<Prepared> {
  const runner = o.runner ?? runTool;
  const tmpDir = o.tmpDir ?? tmpdir();
  const info = await link.info();
  if (o.image !== undefined && o.image !== info.capture.image) {
    throw new CaptureError('RC_ERR_CAPTURE_SOURCE', `the token is for a capture of ${info.capture.image}, not ${o.image}; check the token`);
  }
  const capturedAt = o.now?.() ?? new Date();
  const source = await openCaptureSource(o.source, { ...(o.sysRoot ? { sysRoot: o.sysRoot } : {}), ...(o.procRoot ? { procRoot: o.procRoot } : {}), ...(o.partitionPath ? { partitionPath: o.partitionPath } : {}) });
  const progress = o.onProgress ?? ((): void => undefined);
  progress('mapping', null);
  let t = performance.now();
  const map = await buildUsedMap(source, { runner, tmpDir });
  const mapSeconds = seconds(t);
  say(`mapped used blocks in ${mapSeconds} s: ${map.filesystems.map((f) => `${f.partition ?? 'disk'} ${f.type || 'unknown'} ${f.method}`).join(', ') || 'no file systems'}`);
  t = performance.now();
  // The plan is a generator (a large disk's list would not fit in memory): walked once to size it.
  let bytesTotal = 0;
  for (const b of planBlocks(map.used, map.scan, map.diskSize, info.blockSize)) bytesTotal += b.length;
  let bytesDone = 0;
  progress('hashing', { bytesDone, bytesTotal });
  const hashed = await hashDisk(handle, planBlocks(map.used, map.scan, map.diskSize, info.blockSize), info.blockSize, o.source, (offset) => {
    bytesDone += Math.min(info.blockSize, map.diskSize - offset);
    progress('hashing', { bytesDone, bytesTotal });
  });
  const partitionTable = await readPartitionTableBytes(handle, map.diskSize, o.source);
  const manifest: Manifest = { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: info.blockSize, diskSize: map.diskSize, partitionTable, blocks: hashed.blocks };
  const hashSeconds = seconds(t);
  say(`hashed ${hashed.blocks.length} blocks in ${hashSeconds} s (${hashed.bytesRead} bytes read of ${map.diskSize})`);
  const filesystems = withScannedBytes(map, hashed.blocks);
  const config = await readCapturedConfig(o.source, { ...map, filesystems }, { runner, sysRoot: o.sysRoot ?? '/sys', tmpDir, capturedAt });
  return { info, manifest, config, map: { ...map, filesystems }, bytesRead: hashed.bytesRead, timing: { map: mapSeconds, hash: hashSeconds } };
}

/**
 * Captures a disk into a new version of the capture's image: maps the used blocks, hashes
 * them, offers the hashes (as a delta against the image's newest version when that is smaller),
 * uploads only the blocks the server lacks and commits with the captured configuration and
 * hardware profile. Interrupted, it can simply be run again with the same token: the server
 * keeps what arrived, and the new offer asks only for the rest.
 *
 * This is the one entry point for both the CLI (`rackcast-agent capture`) and the machine's
 * capture job (capture-driver.ts).
 */
export async function runCapture(o: CaptureOptions): Promise<CaptureResult> {
  const started = performance.now();
  const say = o.say ?? ((): void => undefined);
  const link = new CaptureLink(o.server, o.token);
  const handle = await open(o.source, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new CaptureError('RC_ERR_CAPTURE_SOURCE', `cannot open ${o.source} for reading: ${err.message}`);
  });
  try {
    const p = await prepare(o, link, handle, say);
    const profile = o.profile === undefined ? await detectProfile({ sysfsRoot: o.sysRoot ?? '/sys' }) : o.profile;
    const t = performance.now();
    const { version, offer, uploaded } = await offerUploadCommit(o, link, handle, p, profile, say);
    const upload = seconds(t);
    return {
      capture: p.info.capture.id, image: p.info.capture.image, version: version.version, offer: offer.kind, baseVersion: offer.baseVersion,
      blocks: p.manifest.blocks.length, capturedBytes: p.manifest.blocks.reduce((n, b) => n + b.length, 0), diskSize: p.manifest.diskSize,
      bytesRead: p.bytesRead, uploaded, wire: { ...link.counters }, filesystems: p.map.filesystems,
      seconds: { ...p.timing, upload, total: seconds(started) },
    };
  } finally {
    await handle.close();
  }
}

async function offerUploadCommit(o: CaptureOptions, link: CaptureLink, handle: FileHandle, p: Prepared, profile: MachineProfile | null, say: (line: string) => void) {
  let info = p.info;
  const uploaded = { blocks: 0, frameBytes: 0, rawBytes: 0 };
  for (let round = 1; ; round++) {
    try {
      const chosen = await chooseOffer(link, info, p.manifest);
      const answer = await link.offer(chosen.bytes);
      const missing = BlockSet.fromBase64(chosen.offered.length, answer.missingBitmap);
      const wanted = chosen.offered.filter((_, i) => missing.has(i));
      say(`offered ${answer.offer.kind} (${chosen.bytes.byteLength} bytes, ${answer.offer.blocks} blocks): the server lacks ${wanted.length}`);
      const bytesTotal = wanted.reduce((n, b) => n + b.length, 0);
      o.onProgress?.('uploading', { bytesDone: 0, bytesTotal });
      const stats = await uploadBlocks(link, handle, o.source, wanted, o.concurrency ?? 4, (done, rawBytes) => {
        if (done % 64 === 0) say(`uploaded ${done}/${wanted.length} blocks`);
        o.onProgress?.('uploading', { bytesDone: rawBytes, bytesTotal });
      });
      uploaded.blocks += stats.blocks;
      uploaded.frameBytes += stats.frameBytes;
      uploaded.rawBytes += stats.rawBytes;
      o.onProgress?.('committing', null);
      const { version } = await link.commit(p.config, profile);
      say(`committed version ${version.version}: ${version.newBlocks} new blocks (${version.newBytes} bytes)`);
      return { version, offer: answer.offer, uploaded };
    } catch (err) {
      const code = err instanceof CaptureError ? err.serverCode : null;
      if (round >= MAX_ROUNDS || code === null || !RETRY_CODES.includes(code)) throw err;
      say(`the server answered ${code}: offering again`);
      info = await link.info();
    }
  }
}
