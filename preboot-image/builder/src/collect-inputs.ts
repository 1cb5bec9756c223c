import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILT_ADDONS, builtAddonFiles, bundleAgent, nativeAddonFiles, NATIVE_PACKAGES, packageVersion, type PackageFile } from './agent-bundle.js';
import type { BaseInputs } from './base-image.js';
import { BuildError } from './build-error.js';
import { AGENT_TOOLS, busyboxApplets, findTool, librariesOf, strippedNode } from './host-files.js';
import { sha256File } from './image-plan.js';
import { ensureKernelTree, resolveKernelPackage } from './kernel-package.js';
import { readModuleList, resolveModules } from './module-set.js';
import { runCommand } from './run-command.js';

/** Where the builder reads and caches. */
export interface InputOptions {
  /** Repository root (bundle paths are relative to it). */
  readonly repoRoot: string;
  /** The builder's folder: modules.list and image-files/ live there. */
  readonly builderDir: string;
  /** Cache of downloads, the unpacked kernel, the stripped node and the bundle. Example: var/cache/preboot */
  readonly cacheDir: string;
  /** Kernel package instead of the one linux-image-amd64 depends on. Example: linux-image-6.1.0-56-amd64 */
  readonly kernelPackage?: string;
  /** Host folder with firmware files (Debian's firmware packages install into /lib/firmware). */
  readonly firmwareDir: string;
  /** Node binary to put in the image (the one running the builder by default). */
  readonly nodeBinary: string;
  readonly log: (line: string) => void;
}

/** Everything found on the host, ready to be planned into the two archives. */
export interface CollectedInputs extends BaseInputs {
  readonly nodeSourceSha256: string;
  readonly toolsMissing: readonly string[];
  readonly agent: {
    readonly bundle: string; readonly bundleSha256: string; readonly version: string;
    readonly addons: readonly PackageFile[]; readonly addonNames: readonly string[];
  };
}

async function collectBusybox(): Promise<BaseInputs['busybox']> {
  const path = await findTool('busybox');
  if (!path || (await librariesOf(path)).length > 0) {
    throw new BuildError('RC_ERR_PREBOOT_TOOL_MISSING', 'the image needs a static busybox: install the Debian package busybox-static (scripts/install-deps.sh)');
  }
  const banner = await runCommand(path, []).catch(() => '');
  const version = /BusyBox (v\S+)/.exec(banner)?.[1] ?? 'unknown';
  return { path, version, applets: await busyboxApplets(path) };
}

async function collectTools(log: (line: string) => void): Promise<{ tools: { name: string; path: string }[]; missing: string[] }> {
  const tools: { name: string; path: string }[] = [];
  const missing: string[] = [];
  for (const spec of AGENT_TOOLS) {
    const path = await findTool(spec.name);
    if (path) tools.push({ name: spec.name, path });
    else if (spec.optional) { missing.push(spec.name); log(`note: ${spec.name} is not installed; the image goes without it (${spec.purpose})`); }
    else throw new BuildError('RC_ERR_PREBOOT_TOOL_MISSING', `the image needs ${spec.name} (${spec.purpose}): run scripts/install-deps.sh as root`);
  }
  return { tools, missing };
}

/** Union of the libraries of every binary, each with the real file it resolves to. */
async function collectLibraries(binaries: readonly string[]): Promise<{ path: string; source: string }[]> {
  const paths = new Set<string>();
  for (const b of binaries) for (const lib of await librariesOf(b)) paths.add(lib);
  return Promise.all([...paths].sort().map(async (path) => ({ path, source: await realpath(path) })));
}

async function collectAgent(opts: InputOptions): Promise<CollectedInputs['agent']> {
  const agentDir = join(opts.repoRoot, 'preboot-image', 'agent');
  const bundle = join(opts.cacheDir, 'agent', 'rackcast-agent.js');
  await bundleAgent(opts.repoRoot, agentDir, bundle);
  const addons: PackageFile[] = [];
  for (const name of NATIVE_PACKAGES) addons.push(...await nativeAddonFiles(agentDir, name));
  for (const name of BUILT_ADDONS) addons.push(...await builtAddonFiles(agentDir, name));
  return { bundle, bundleSha256: await sha256File(bundle), version: await packageVersion(agentDir), addons, addonNames: [...NATIVE_PACKAGES, ...BUILT_ADDONS] };
}

/** Finds every input on the host: kernel (downloaded and unpacked once), modules, binaries, the agent bundle. */
export async function collectInputs(opts: InputOptions): Promise<CollectedInputs> {
  const { name, version } = await resolveKernelPackage(opts.kernelPackage, opts.log);
  const kernel = await ensureKernelTree(opts.cacheDir, name, version, opts.log);
  const modules = await resolveModules(kernel, await readModuleList(join(opts.builderDir, 'modules.list')), opts.firmwareDir);
  const busybox = await collectBusybox();
  const stripped = await strippedNode(opts.nodeBinary, opts.cacheDir);
  const nodeVersion = (await runCommand(opts.nodeBinary, ['--version'])).trim();
  const { tools, missing } = await collectTools(opts.log);
  const agent = await collectAgent(opts);
  const addonBinaries = agent.addons.filter((f) => f.path.endsWith('.node')).map((f) => f.source);
  const libraries = await collectLibraries([opts.nodeBinary, ...tools.map((t) => t.path), ...addonBinaries]);
  return {
    kernel, modules, busybox, tools, libraries, agent, toolsMissing: missing,
    node: { path: stripped.path, version: nodeVersion }, nodeSourceSha256: stripped.sourceSha256,
  };
}
