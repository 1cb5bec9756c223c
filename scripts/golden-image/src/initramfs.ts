import { join } from 'node:path';
import { ImagePlan, type KernelTree } from '../../../preboot-image/builder/dist/index.js';
import type { Busybox } from './host-inputs.js';
import { addModuleFiles, DISK_MODULES, moduleFiles } from './kernel-modules.js';

/**
 * The initramfs: busybox, the disk and ext4 modules, and an /init that mounts the root file
 * system by label and switch_roots into it (image-files/initramfs/init).
 */
export async function planInitramfs(kernel: KernelTree, busybox: Busybox, imageFilesDir: string): Promise<ImagePlan> {
  const plan = new ImagePlan();
  for (const d of ['dev', 'proc', 'sys', 'newroot']) plan.addDir(d);
  await plan.addFile('init', join(imageFilesDir, 'initramfs', 'init'), 0o755);
  await plan.addFile('bin/busybox', busybox.path, 0o755);
  for (const applet of busybox.applets) plan.addSymlink(applet, '/bin/busybox');
  await addModuleFiles(plan, kernel, await moduleFiles(kernel, DISK_MODULES), 'lib/modules', 'etc/modules.list');
  return plan;
}
