import { access, readFile, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BuildError } from './build-error.js';
import type { KernelTree } from './kernel-package.js';
import { runCommand } from './run-command.js';

/** One line of modules.list. */
export interface ModuleRequest {
  /** Module name as modprobe takes it. Example: mlx5_core */
  readonly name: string;
  /** Loaded at boot whatever the hardware (disk layer, file systems). */
  readonly always: boolean;
}

/** A firmware file a module names, and where the build host has it (null: not found). */
export interface FirmwareFile {
  /** Path below lib/firmware. Example: bnx2/bnx2-mips-09-6.2.1b.fw */
  readonly name: string;
  /** Host file, or null when the host lacks it. */
  readonly source: string | null;
}

/** The modules of the image and what they need. */
export interface ModuleSet {
  readonly requested: readonly ModuleRequest[];
  /** Module files relative to the module folder, in load order (dependencies first). Example: kernel/drivers/net/virtio_net.ko */
  readonly files: readonly string[];
  /** Requested names the kernel has built in (no file needed). */
  readonly builtin: readonly string[];
  /** Firmware by module name, for modules that name any. */
  readonly firmware: ReadonlyMap<string, readonly FirmwareFile[]>;
}

/** Parses modules.list: a name per line, optional `always`, `#` comments. */
export function parseModuleList(text: string): ModuleRequest[] {
  const out: ModuleRequest[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, flag, ...rest] = line.split(/\s+/);
    if (!name || !/^[A-Za-z0-9_-]+$/.test(name) || (flag !== undefined && flag !== 'always') || rest.length > 0) {
      throw new BuildError('RC_ERR_PREBOOT_BAD_OPTION', `modules.list line ${i + 1}: '${raw.trim()}' is not '<module> [always]'`);
    }
    out.push({ name, always: flag === 'always' });
  }
  return out;
}

/** `modprobe --show-depends` output → module files (absolute) in load order, and builtin names. */
export function parseShowDepends(text: string): { files: string[]; builtin: string[] } {
  const files: string[] = [];
  const builtin: string[] = [];
  for (const line of text.split('\n')) {
    const [verb, arg] = line.trim().split(/\s+/);
    if (verb === 'insmod' && arg) files.push(arg);
    else if (verb === 'builtin' && arg) builtin.push(arg);
  }
  return { files, builtin };
}

/** Module name of a .ko path, as the kernel spells it (dashes become underscores). */
export function moduleNameOf(file: string): string {
  return (file.split('/').pop() ?? file).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}

async function resolveOne(tree: KernelTree, name: string): Promise<{ files: string[]; builtin: string[] }> {
  const out = await runCommand('modprobe', ['-d', tree.root, '-S', tree.release, '--show-depends', name]).catch((err: unknown) => {
    throw new BuildError('RC_ERR_PREBOOT_MODULE_UNKNOWN',
      `module '${name}' is not in ${tree.packageName} ${tree.packageVersion}: fix its line in preboot-image/builder/modules.list`, { cause: err });
  });
  return parseShowDepends(out);
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** Finds a firmware file under the host's firmware folder, also xz-compressed (the kernel unpacks those). */
async function findFirmware(firmwareDir: string, name: string): Promise<FirmwareFile> {
  for (const candidate of [name, `${name}.xz`]) {
    const path = join(firmwareDir, candidate);
    if (await exists(path)) return { name: candidate, source: await realpath(path) };
  }
  return { name, source: null };
}

async function firmwareOf(tree: KernelTree, file: string, firmwareDir: string): Promise<FirmwareFile[]> {
  const names = (await runCommand('modinfo', ['-F', 'firmware', join(tree.moduleDir, file)])).split('\n').map((l) => l.trim()).filter(Boolean);
  return Promise.all([...new Set(names)].sort().map((n) => findFirmware(firmwareDir, n)));
}

/**
 * Resolves the requested modules against the unpacked kernel: each with its dependencies, in
 * load order, de-duplicated; plus the firmware each names and whether `firmwareDir` (the host's
 * /lib/firmware, where Debian's firmware packages install) has it.
 */
export async function resolveModules(tree: KernelTree, requested: readonly ModuleRequest[], firmwareDir: string): Promise<ModuleSet> {
  const files: string[] = [];
  const builtin: string[] = [];
  for (const { name } of requested) {
    const one = await resolveOne(tree, name);
    for (const f of one.files) {
      const rel = relative(tree.moduleDir, f);
      if (!files.includes(rel)) files.push(rel);
    }
    for (const b of one.builtin) if (!builtin.includes(b)) builtin.push(b);
  }
  const firmware = new Map<string, FirmwareFile[]>();
  for (const f of files) {
    const fw = await firmwareOf(tree, f, firmwareDir);
    if (fw.length > 0) firmware.set(moduleNameOf(f), fw);
  }
  return { requested, files, builtin, firmware };
}

/** Modules whose firmware the image lacks, with the missing files (for the manifest and /init). */
export function missingFirmware(set: ModuleSet): { module: string; files: string[] }[] {
  return [...set.firmware].map(([module, fw]) => ({ module, files: fw.filter((f) => f.source === null).map((f) => f.name) }))
    .filter((m) => m.files.length > 0)
    .sort((a, b) => a.module.localeCompare(b.module));
}

/** Reads modules.list. */
export async function readModuleList(path: string): Promise<ModuleRequest[]> {
  return parseModuleList(await readFile(path, 'utf8'));
}
