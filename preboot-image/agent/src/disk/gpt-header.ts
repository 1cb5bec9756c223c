import { open } from 'node:fs/promises';

/** The fields of a GPT header the fitting needs (UEFI 2.10 §5.3.2, GPT Header). */
export interface GptHeader {
  readonly myLba: number;
  readonly alternateLba: number;
  readonly firstUsableLba: number;
  readonly lastUsableLba: number;
  readonly entriesLba: number;
  readonly entryCount: number;
  readonly entrySize: number;
}

const SIGNATURE = 'EFI PART';
const u64 = (v: DataView, at: number): number => Number(v.getBigUint64(at, true));

/** Decodes a GPT header sector; null when the signature is not there. CRCs are sfdisk's job. */
export function decodeGptHeader(sector: Uint8Array): GptHeader | null {
  if (sector.length < 92 || Buffer.from(sector.subarray(0, 8)).toString('latin1') !== SIGNATURE) return null;
  const v = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  return {
    myLba: u64(v, 24), alternateLba: u64(v, 32), firstUsableLba: u64(v, 40), lastUsableLba: u64(v, 48),
    entriesLba: u64(v, 72), entryCount: v.getUint32(80, true), entrySize: v.getUint32(84, true),
  };
}

/** Sectors the backup entries array takes (32 for 128 entries of 128 bytes at 512 bytes a sector). */
export function entrySectors(header: GptHeader, sectorSize: number): number {
  return Math.ceil((header.entryCount * header.entrySize) / sectorSize);
}

/**
 * The last usable LBA of a standard GPT on a disk of `diskSectors`: the backup header takes the
 * last sector and the backup entries the sectors before it (what sfdisk and parted write).
 */
export function lastUsableLba(header: GptHeader, sectorSize: number, diskSectors: number): number {
  return diskSectors - 2 - entrySectors(header, sectorSize);
}

/** Reads the primary GPT header (LBA 1) of a disk; null when there is none. */
export async function readPrimaryGptHeader(devicePath: string, sectorSize: number): Promise<GptHeader | null> {
  const handle = await open(devicePath, 'r');
  try {
    const buf = Buffer.alloc(sectorSize);
    const { bytesRead } = await handle.read(buf, 0, sectorSize, sectorSize);
    return decodeGptHeader(buf.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
