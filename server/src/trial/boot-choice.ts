// How a trial boot starts a version: which firmware and which disk controller. A captured
// version says what the machine had (its captured configuration and profile); an imported one
// says nothing, so the disk's own first sectors decide. Pure.
import type { JsonValue } from '../store/index.js';

export type Firmware = 'bios' | 'uefi';
/** virtio-blk, SATA (AHCI) or NVMe: what the guest's kernel must have a driver for. */
export type DiskBus = 'virtio' | 'sata' | 'nvme';

export interface Choice<T> {
  readonly value: T;
  /** Why, for the technician: "captured config", "MBR boot code", … */
  readonly reason: string;
}

/** The EFI System Partition's GPT type GUID as stored on disk (mixed-endian), C12A7328-F81F-11D2-BA4B-00A0C93EC93B. */
const ESP_TYPE = Buffer.from('28732ac11ff8d211ba4b00a0c93ec93b', 'hex');
const SECTOR = 512;
/** MBR boot code occupies the first 440 bytes; the disk signature and partition table follow. */
const BOOT_CODE_BYTES = 440;
/** Bytes of the disk head `chooseFirmware` wants: the MBR, the GPT header and 32 sectors of entries. */
export const DISK_HEAD_BYTES = 34 * SECTOR;

function field(value: JsonValue | undefined, ...path: string[]): JsonValue | undefined {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = at[key];
  }
  return at;
}

const isFirmware = (v: JsonValue | undefined): v is Firmware => v === 'bios' || v === 'uefi';

/** True when the GPT entries in `head` (at LBA 2, as its header says) hold an EFI System Partition. */
function hasEsp(head: Uint8Array): boolean {
  if (Buffer.from(head.subarray(SECTOR, SECTOR + 8)).toString('latin1') !== 'EFI PART') return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const entriesLba = Number(view.getBigUint64(SECTOR + 72, true));
  const count = view.getUint32(SECTOR + 80, true);
  const size = view.getUint32(SECTOR + 84, true);
  if (size < 128) return false;
  for (let i = 0; i < count; i++) {
    const at = entriesLba * SECTOR + i * size;
    if (at + 16 > head.byteLength) break;
    if (Buffer.from(head.subarray(at, at + 16)).equals(ESP_TYPE)) return true;
  }
  return false;
}

/**
 * BIOS or UEFI. The captured configuration's firmware mode wins, then the source profile's;
 * without either, a disk whose MBR carries boot code boots under BIOS (that also covers hybrid
 * disks, and SeaBIOS boots faster than OVMF), one with only an EFI System Partition under UEFI.
 */
export function chooseFirmware(config: JsonValue, profile: JsonValue, head: Uint8Array): Choice<Firmware> {
  const captured = field(config, 'firmwareMode');
  if (isFirmware(captured)) return { value: captured, reason: 'captured config' };
  const profiled = field(profile, 'firmware', 'mode');
  if (isFirmware(profiled)) return { value: profiled, reason: 'source profile' };
  const signed = head[510] === 0x55 && head[511] === 0xaa;
  if (signed && head.subarray(0, BOOT_CODE_BYTES).some((b) => b !== 0)) return { value: 'bios', reason: 'MBR boot code' };
  if (hasEsp(head)) return { value: 'uefi', reason: 'EFI System Partition without MBR boot code' };
  return { value: 'bios', reason: 'no boot code found; BIOS by default' };
}

/**
 * The disk controller the captured machine booted from, judged by the captured disk's name;
 * virtio when unknown (imports): every stock distribution kernel and initramfs carries it.
 */
export function chooseDiskBus(config: JsonValue): Choice<DiskBus> {
  const path = field(config, 'disk', 'path');
  if (typeof path !== 'string') return { value: 'virtio', reason: 'default' };
  if (/\/nvme\d/.test(path)) return { value: 'nvme', reason: `captured disk ${path}` };
  if (/\/(sd|hd)[a-z]/.test(path)) return { value: 'sata', reason: `captured disk ${path}` };
  return { value: 'virtio', reason: `captured disk ${path}` };
}
