import { stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../preboot-image/builder/dist/index.js';
import { syslinuxConfig } from './boot-config.js';
import { SYSLINUX_FILES } from './host-inputs.js';
import { ESP_LABEL } from './layout.js';

/** The files of the EFI System partition besides syslinux's own. */
export interface EspInputs {
  readonly vmlinuz: string;
  readonly initramfs: string;
  /** The ESP's first sector on the disk: FAT's "hidden sectors", which syslinux's boot sector needs. */
  readonly startSector: number;
  readonly bytes: number;
  readonly epoch: number;
}

/** Destination in the FAT → host file, in the order they are copied. */
function espFiles(inputs: EspInputs, config: string): [string, string][] {
  return [
    ['::/vmlinuz', inputs.vmlinuz],
    ['::/initrd.img', inputs.initramfs],
    ['::/syslinux.cfg', config],
    ['::/EFI/BOOT/BOOTX64.EFI', SYSLINUX_FILES.efiLoader],
    ['::/EFI/BOOT/ldlinux.e64', SYSLINUX_FILES.efiCore],
    ['::/EFI/BOOT/syslinux.cfg', config],
  ];
}

/**
 * Builds the EFI System partition as the file `image`: FAT32 with 512-byte clusters (64 MiB
 * is too small for FAT32 otherwise), syslinux installed for BIOS (its boot sector and
 * ldlinux.sys), syslinux.efi as the UEFI removable-media loader, the kernel and the initramfs.
 * mtools writes every file, so nothing is mounted; SOURCE_DATE_EPOCH and TZ=UTC fix the FAT
 * time stamps, --invariant the volume id. Returns the bytes of the files copied.
 */
export async function buildEsp(inputs: EspInputs, image: string, scratch: string): Promise<number> {
  const config = join(scratch, 'syslinux.cfg');
  await writeFile(config, syslinuxConfig());
  await writeFile(image, '');
  await truncate(image, inputs.bytes);
  await runCommand('mkfs.fat', ['-F', '32', '-s', '1', '-n', ESP_LABEL, '-h', String(inputs.startSector), '--invariant', image]);
  const env = { MTOOLS_SKIP_CHECK: '1', SOURCE_DATE_EPOCH: String(inputs.epoch), TZ: 'UTC' };
  // syslinux's installer runs mtools itself and writes the partition's boot sector.
  await runCommand('syslinux', ['--install', image], { env });
  await runCommand('mmd', ['-i', image, '::/EFI', '::/EFI/BOOT'], { env });
  let bytes = 0;
  for (const [to, from] of espFiles(inputs, config)) {
    await runCommand('mcopy', ['-i', image, '-Q', from, to], { env });
    bytes += (await stat(from)).size;
  }
  await runCommand('fsck.fat', ['-n', image]);
  return bytes;
}
