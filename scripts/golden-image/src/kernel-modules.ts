import { join } from 'node:path';
import { resolveModules, type KernelTree, type ModuleRequest } from '../../../preboot-image/builder/dist/index.js';
import type { ImagePlan } from '../../../preboot-image/builder/dist/index.js';

/** Disk controllers a clone may boot from, and its root file system: loaded by the initramfs. */
export const DISK_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_scsi', 'ahci', 'ata_piix', 'nvme', 'sd_mod', 'ext4'] as const;
/** NIC drivers of the lab's VMs (virtio-net, e1000) and common Intel NICs: loaded by the root's init. */
export const NIC_MODULES = ['virtio_pci', 'virtio_net', 'e1000', 'e1000e'] as const;

const request = (names: readonly string[]): ModuleRequest[] => names.map((name) => ({ name, always: true }));

/**
 * Module files (relative to the kernel's module folder) for `names` and their dependencies, in
 * load order. No firmware: none of these drivers needs any.
 */
export async function moduleFiles(kernel: KernelTree, names: readonly string[]): Promise<string[]> {
  const set = await resolveModules(kernel, request(names), '/nonexistent-firmware');
  return [...set.files];
}

/**
 * Adds the module files under `base` in the image, plus a list of them in load order at
 * `listPath` (paths relative to `base`): the init scripts insmod them in that order, so the
 * image needs neither modules.dep nor modprobe.
 */
export async function addModuleFiles(plan: ImagePlan, kernel: KernelTree, files: readonly string[], base: string, listPath: string): Promise<void> {
  for (const f of files) await plan.addFile(`${base}/${f}`, join(kernel.moduleDir, f));
  plan.addData(listPath, files.map((f) => `${f}\n`).join(''));
}
