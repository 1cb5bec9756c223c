import type { FirmwareMode, FirmwareProfile, SystemProfile } from '@rackcast/wire';
import { cleanIdentity, cleanText, cleanUuid } from './clean-text.js';
import type { Sysfs } from './sysfs.js';

const DMI = 'class/dmi/id';
/** EFI global variable GUID (UEFI spec §3.3); SecureBoot is 4 attribute bytes then 1 data byte. */
const SECURE_BOOT_VAR = 'firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c';

/** An empty system identity, for when SMBIOS cannot be read. */
export const EMPTY_SYSTEM: SystemProfile = {
  uuid: '', serial: '', vendor: '', model: '', boardVendor: '', boardModel: '', boardSerial: '', chassisType: '', chassisSerial: '', assetTag: '',
};

/**
 * The machine's identity from the kernel's copy of the SMBIOS tables (/sys/class/dmi/id).
 * Serial and UUID files are readable by root only; the agent runs as root. Throws when the
 * folder is missing (no SMBIOS: many ARM boards, some VMs), so the caller records why.
 */
export async function readDmiSystem(sys: Sysfs): Promise<SystemProfile> {
  if (!(await sys.exists(DMI))) throw new Error(`${sys.path(DMI)} is not there (no SMBIOS tables)`);
  const read = (name: string): Promise<string | null> => sys.text(`${DMI}/${name}`);
  const [uuid, serial, vendor, model, boardVendor, boardModel, boardSerial, chassisType, chassisSerial, assetTag] = await Promise.all([
    'product_uuid', 'product_serial', 'sys_vendor', 'product_name', 'board_vendor', 'board_name', 'board_serial', 'chassis_type', 'chassis_serial', 'chassis_asset_tag',
  ].map(read));
  return {
    uuid: cleanUuid(uuid), serial: cleanIdentity(serial), vendor: cleanIdentity(vendor), model: cleanIdentity(model),
    boardVendor: cleanIdentity(boardVendor), boardModel: cleanIdentity(boardModel), boardSerial: cleanIdentity(boardSerial),
    chassisType: cleanText(chassisType), chassisSerial: cleanIdentity(chassisSerial), assetTag: cleanIdentity(assetTag),
  };
}

/**
 * How the firmware started this kernel: the EFI stub populates /sys/firmware/efi only when
 * booted by UEFI. With no /sys/firmware at all (sysfs not mounted) the answer is "unknown".
 */
export async function readFirmwareMode(sys: Sysfs): Promise<FirmwareMode> {
  if (await sys.exists('firmware/efi')) return 'uefi';
  return (await sys.exists('firmware')) ? 'bios' : 'unknown';
}

/** Secure Boot from efivarfs; null when not UEFI or efivarfs is not mounted. */
export async function readSecureBoot(sys: Sysfs): Promise<boolean | null> {
  const bytes = await sys.bytes(SECURE_BOOT_VAR);
  if (bytes === null || bytes.length < 5) return null;
  return bytes[4] === 1;
}

/** Firmware mode, vendor, version and date (vendor fields empty without SMBIOS). */
export async function readFirmware(sys: Sysfs): Promise<FirmwareProfile> {
  const [mode, secureBoot, vendor, version, date] = await Promise.all([
    readFirmwareMode(sys), readSecureBoot(sys), sys.text(`${DMI}/bios_vendor`), sys.text(`${DMI}/bios_version`), sys.text(`${DMI}/bios_date`),
  ]);
  return { mode, vendor: cleanIdentity(vendor), version: cleanText(version), date: cleanText(date), secureBoot: mode === 'uefi' ? secureBoot : null };
}
