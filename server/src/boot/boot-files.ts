import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RackcastError } from '../errors.js';
import { PREBOOT_FILES } from './ipxe-script.js';

/** Folders the boot files come from (config boot.prebootDir and boot.ipxeDir). */
export interface BootFileFolders {
  /** e.g. "/srv/rackcast/preboot": vmlinuz, initrd.img, agent.img. */
  readonly prebootDir: string;
  /** e.g. "/usr/lib/ipxe": ipxe.efi, snponly.efi, undionly.kpxe. */
  readonly ipxeDir: string;
}

/**
 * The only names /boot/files/<name> serves, and from which folder. A fixed list rather than a
 * folder listing: no path from a request ever reaches the file system, so "..", encoded
 * slashes or symlinks cannot lead anywhere else.
 */
const BOOT_FILES: Readonly<Record<string, 'preboot' | 'ipxe'>> = {
  [PREBOOT_FILES.kernel]: 'preboot',
  [PREBOOT_FILES.initrd]: 'preboot',
  [PREBOOT_FILES.agent]: 'preboot',
  'ipxe.efi': 'ipxe',
  'snponly.efi': 'ipxe',
  'undionly.kpxe': 'ipxe',
};

/** A boot file ready to send. */
export interface BootFile {
  readonly path: string;
  readonly size: number;
}

/**
 * Finds a boot file by name. Unknown names are RC_ERR_NOT_FOUND; a listed file that is not
 * there is RC_ERR_BOOT_FILE_MISSING (503) with what to do about it.
 */
export async function findBootFile(name: string, folders: BootFileFolders): Promise<BootFile> {
  const kind = Object.hasOwn(BOOT_FILES, name) ? BOOT_FILES[name] : undefined;
  if (kind === undefined) throw new RackcastError('RC_ERR_NOT_FOUND', `no boot file "${name.slice(0, 64)}"; served are ${Object.keys(BOOT_FILES).join(', ')}`);
  const dir = kind === 'preboot' ? folders.prebootDir : folders.ipxeDir;
  const path = join(dir, name);
  const info = await stat(path).catch(() => null);
  if (info?.isFile() !== true) {
    const fix = kind === 'preboot' ? 'build the preboot image with scripts/build-preboot' : 'install Debian\'s ipxe package (scripts/install-deps.sh) or set boot.ipxeDir';
    throw new RackcastError('RC_ERR_BOOT_FILE_MISSING', `boot file ${name} is not in ${dir}; ${fix}`, { file: name, dir });
  }
  return { path, size: info.size };
}
