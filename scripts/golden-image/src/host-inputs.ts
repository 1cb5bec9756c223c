import { access } from 'node:fs/promises';
import { busyboxApplets, findTool, librariesOf, runCommand } from '../../../preboot-image/builder/dist/index.js';
import { GoldenImageError } from './golden-error.js';

/** Files of the syslinux packages the disk boots with. */
export interface SyslinuxFiles {
  /** GPT-aware MBR boot code: finds the legacy-BIOS-bootable partition and runs its boot sector. */
  readonly gptMbr: string;
  /** UEFI loader, installed as the removable-media path EFI/BOOT/BOOTX64.EFI. */
  readonly efiLoader: string;
  /** The core module syslinux.efi loads from its own folder. */
  readonly efiCore: string;
}

export const SYSLINUX_FILES: SyslinuxFiles = {
  gptMbr: '/usr/lib/syslinux/mbr/gptmbr.bin',
  efiLoader: '/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi',
  efiCore: '/usr/lib/syslinux/modules/efi64/ldlinux.e64',
};

/** Host tools the build runs, with the Debian package that provides each. */
const TOOLS: Readonly<Record<string, string>> = {
  'sfdisk': 'fdisk', 'mkfs.fat': 'dosfstools', 'fsck.fat': 'dosfstools', 'mcopy': 'mtools', 'mmd': 'mtools',
  'syslinux': 'syslinux', 'mkfs.ext4': 'e2fsprogs', 'debugfs': 'e2fsprogs', 'e2fsck': 'e2fsprogs',
  'dumpe2fs': 'e2fsprogs', 'dd': 'coreutils', 'truncate': 'coreutils', 'cpio': 'cpio', 'zstd': 'zstd',
  'modprobe': 'kmod', 'depmod': 'kmod', 'dpkg': 'dpkg', 'apt-get': 'apt',
};
const FILE_PACKAGES: Readonly<Record<keyof SyslinuxFiles, string>> = { gptMbr: 'syslinux-common', efiLoader: 'syslinux-efi', efiCore: 'syslinux-efi' };

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** Fails, naming every missing Debian package at once, when a tool or syslinux file is absent. */
export async function checkHostTools(): Promise<void> {
  const missing = new Set<string>();
  for (const [tool, pkg] of Object.entries(TOOLS)) if (!await findTool(tool)) missing.add(pkg);
  for (const [key, path] of Object.entries(SYSLINUX_FILES)) {
    if (!await exists(path)) missing.add(FILE_PACKAGES[key as keyof SyslinuxFiles]);
  }
  if (missing.size > 0) {
    throw new GoldenImageError('RC_ERR_GOLDEN_TOOL_MISSING', `missing Debian packages: ${[...missing].sort().join(' ')}: run scripts/install-deps.sh as root`);
  }
}

/** The host's static busybox, its version and its applet paths (bin/sh, sbin/poweroff …). */
export interface Busybox { readonly path: string; readonly version: string; readonly applets: readonly string[] }

/**
 * busybox-static from the host. Its own init and linuxrc applets are left out: the images
 * bring their own init scripts.
 */
export async function findBusybox(): Promise<Busybox> {
  const path = await findTool('busybox');
  if (!path || (await librariesOf(path)).length > 0) {
    throw new GoldenImageError('RC_ERR_GOLDEN_TOOL_MISSING', 'the image needs a static busybox: install the Debian package busybox-static (scripts/install-deps.sh)');
  }
  const banner = await runCommand(path, []).catch(() => '');
  const applets = (await busyboxApplets(path)).filter((a) => a !== 'sbin/init' && a !== 'linuxrc');
  return { path, version: /BusyBox (v\S+)/.exec(banner)?.[1] ?? 'unknown', applets };
}
