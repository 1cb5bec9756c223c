import type { DiskProfile } from '@rackcast/wire';
import { cleanIdentity, cleanText } from './clean-text.js';
import { hardwarePath, type Sysfs } from './sysfs.js';
import { parseVpdSerial, parseVpdWwn } from './vpd.js';

/** Block devices that are never restore targets: optical, floppy, eMMC boot and RPMB areas. */
const NOT_A_DISK = /^(sr|fd)\d|^mmcblk\d+(boot\d|rpmb)$/;
/** sysfs `size` is always in 512-byte sectors, whatever the disk's block size (block/genhd.c). */
const SECTOR = 512;

/** How a disk is attached, from its hardware path; the first match wins (USB disks are SCSI too). */
const TRANSPORTS: readonly [RegExp, string][] = [
  [/\/usb\d+\//, 'usb'],
  [/\/nvme\//, 'nvme'],
  [/\/ata\d+\//, 'sata'],
  [/\/(end_device-|expander-|port-\d+:\d+)/, 'sas'],
  [/\/mmc_host\//, 'mmc'],
  [/\/host\d+\/(rport-[^/]+\/)?target\d+/, 'scsi'],
  [/\/virtio\d+(\/|$)/, 'virtio'],
];

export function diskTransport(path: string): string {
  return TRANSPORTS.find(([pattern]) => pattern.test(`/${path}/`))?.[1] ?? '';
}

async function firstText(sys: Sysfs, paths: readonly string[]): Promise<string> {
  for (const p of paths) {
    const text = cleanIdentity(await sys.text(p));
    if (text !== '') return text;
  }
  return '';
}

/**
 * Serial: virtio-blk's own attribute, the NVMe controller's, then SCSI VPD page 80h (SATA disks
 * behind libata answer it too).
 */
async function diskSerial(sys: Sysfs, base: string): Promise<string> {
  const direct = await firstText(sys, [`${base}/serial`, `${base}/device/serial`]);
  if (direct !== '') return direct;
  const page = await sys.bytes(`${base}/device/vpd_pg80`);
  return page === null ? '' : cleanIdentity(parseVpdSerial(page));
}

/** WWN: the kernel's wwid (NVMe namespace, then SCSI device), else VPD page 83h. */
async function diskWwn(sys: Sysfs, base: string): Promise<string> {
  const direct = await firstText(sys, [`${base}/wwid`, `${base}/device/wwid`]);
  if (direct !== '') return direct;
  const page = await sys.bytes(`${base}/device/vpd_pg83`);
  return page === null ? '' : cleanText(parseVpdWwn(page));
}

async function readDisk(sys: Sysfs, name: string): Promise<DiskProfile | null> {
  const base = `block/${name}`;
  const resolved = await sys.resolve(base);
  if (resolved === null || resolved.startsWith('devices/virtual/') || NOT_A_DISK.test(name)) return null;
  const sectors = await sys.integer(`${base}/size`);
  if (sectors === null || sectors <= 0) return null; // no medium (card reader, empty bay)
  const sysfsPath = hardwarePath(resolved);
  const transport = diskTransport(sysfsPath);
  const scsiLike = ['sata', 'sas', 'scsi', 'usb'].includes(transport);
  const [logical, physical, rotational, removable, readOnly, model, vendor, serial, wwn] = await Promise.all([
    sys.integer(`${base}/queue/logical_block_size`), sys.integer(`${base}/queue/physical_block_size`), sys.integer(`${base}/queue/rotational`),
    sys.integer(`${base}/removable`), sys.integer(`${base}/ro`), sys.text(`${base}/device/model`),
    // virtio and NVMe `vendor` files hold a PCI vendor number, not a name: only SCSI's is text.
    scsiLike ? sys.text(`${base}/device/vendor`) : Promise.resolve(null),
    diskSerial(sys, base), diskWwn(sys, base),
  ]);
  return {
    name, sizeBytes: sectors * SECTOR, logicalBlockSize: logical ?? 0, physicalBlockSize: physical ?? 0,
    rotational: rotational === null ? null : rotational === 1, removable: removable === 1, readOnly: readOnly === 1,
    model: cleanIdentity(model), vendor: cleanIdentity(vendor), serial, wwn, transport, sysfsPath,
  };
}

/** Every whole disk in /sys/block that could be a target: virtual devices (loop, zram, dm, md) are left out. */
export async function readDisks(sys: Sysfs): Promise<DiskProfile[]> {
  const disks = await Promise.all((await sys.list('block')).map((name) => readDisk(sys, name)));
  return disks.filter((d): d is DiskProfile => d !== null);
}
