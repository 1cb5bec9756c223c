import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImagePlan } from './image-plan.js';
import type { KernelTree } from './kernel-package.js';
import { filterModulesAlias, filterModulesDep } from './module-index.js';
import { missingFirmware, moduleNameOf, type ModuleSet } from './module-set.js';

/** Everything the base archive (initrd.img) is made of, found on the build host. */
export interface BaseInputs {
  readonly kernel: KernelTree;
  readonly modules: ModuleSet;
  /** busybox-static binary and the applet paths it installs (bin/sh, sbin/modprobe …). */
  readonly busybox: { readonly path: string; readonly version: string; readonly applets: readonly string[] };
  /** The stripped node binary and its version. Example version: v20.20.2 */
  readonly node: { readonly path: string; readonly version: string };
  /** System tools: image path = host path (e.g. usr/sbin/blkid). */
  readonly tools: readonly { readonly name: string; readonly path: string }[];
  /** Shared libraries of node, the tools and the native addons, by the paths ldd prints. */
  readonly libraries: readonly { readonly path: string; readonly source: string }[];
}

const ETC_FILES: Readonly<Record<string, string>> = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
  'etc/group': 'root:x:0:\ntty:x:5:\ndisk:x:6:\n',
  'etc/hosts': '127.0.0.1 localhost\n::1 localhost\n',
  'etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\n',
  'etc/os-release': 'NAME="Rackcast preboot"\nID=rackcast-preboot\nPRETTY_NAME="Rackcast preboot environment"\n',
};

function addSkeleton(plan: ImagePlan): void {
  for (const d of ['dev', 'proc', 'sys', 'run', 'mnt', 'app', 'etc/rackcast', 'usr/share/rackcast']) plan.addDir(d);
  plan.addDir('root', 0o700);
  plan.addDir('tmp', 0o1777);
  plan.addSymlink('var/run', '/run');
  // e2fsck and resize2fs look in /etc/mtab to refuse working on a mounted file system.
  plan.addSymlink('etc/mtab', '/proc/self/mounts');
  for (const [path, text] of Object.entries(ETC_FILES)) plan.addData(path, text);
}

async function addModules(plan: ImagePlan, kernel: KernelTree, set: ModuleSet): Promise<void> {
  const base = `lib/modules/${kernel.release}`;
  const files = new Set(set.files);
  for (const f of set.files) await plan.addFile(`${base}/${f}`, join(kernel.moduleDir, f));
  const read = (name: string): Promise<string> => readFile(join(kernel.moduleDir, name), 'utf8');
  plan.addData(`${base}/modules.dep`, filterModulesDep(await read('modules.dep'), files));
  plan.addData(`${base}/modules.alias`, filterModulesAlias(await read('modules.alias'), files));
  plan.addData(`${base}/modules.builtin`, await read('modules.builtin'));
  for (const fw of [...set.firmware.values()].flat()) {
    if (fw.source && !plan.has(`lib/firmware/${fw.name}`)) await plan.addFile(`lib/firmware/${fw.name}`, fw.source);
  }
  const names = (list: readonly string[]): string => list.map((l) => `${l}\n`).join('');
  plan.addData('etc/rackcast/modules.all', names(set.files.map(moduleNameOf)));
  plan.addData('etc/rackcast/modules.always', names(set.requested.filter((r) => r.always).map((r) => r.name)));
  plan.addData('etc/rackcast/firmware-missing', names(missingFirmware(set).map((m) => `${m.module} ${m.files.join(' ')}`)));
}

/** The plan of initrd.img: busybox, node, libraries, tools, kernel modules and firmware. */
export async function planBase(inputs: BaseInputs): Promise<ImagePlan> {
  const plan = new ImagePlan();
  addSkeleton(plan);
  await plan.addFile('bin/busybox', inputs.busybox.path, 0o755);
  await plan.addFile('bin/node', inputs.node.path, 0o755);
  for (const tool of inputs.tools) await plan.addFile(tool.path, tool.path, 0o755);
  for (const lib of inputs.libraries) {
    await plan.addFile(lib.path, lib.source, lib.path.includes('/ld-linux') ? 0o755 : 0o644);
  }
  // Applets after the real tools: a util-linux binary wins over a busybox applet of its name.
  for (const applet of inputs.busybox.applets) if (!plan.has(applet)) plan.addSymlink(applet, '/bin/busybox');
  await addModules(plan, inputs.kernel, inputs.modules);
  plan.addData('etc/rackcast/base-versions', `node ${inputs.node.version}, busybox ${inputs.busybox.version}\n`);
  return plan;
}
