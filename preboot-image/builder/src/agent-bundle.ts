import { access, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build, type Message } from 'esbuild';
import { BuildError } from './build-error.js';

/**
 * Native addons the agent imports. They cannot be bundled: the bundle imports them by name and
 * the image carries exactly their JS loader and this platform's prebuilt binary package.
 */
export const NATIVE_PACKAGES = ['lz4-napi', '@napi-rs/blake-hash'] as const;

/**
 * Native addons of this project, built by node-gyp when npm installs them (no prebuilt
 * binaries): the image carries their package.json, JS loader and build/Release/*.node.
 */
export const BUILT_ADDONS = ['@rackcast/datagram-ring'] as const;

/** Optional peers that ws tries to require and does without (bundling them would fail). */
const OPTIONAL_EXTERNALS = ['bufferutil', 'utf-8-validate'];

/**
 * ESM output has no `require`; CommonJS packages inside the bundle (commander, ws) call it for
 * node builtins, so the bundle defines one.
 */
const REQUIRE_BANNER = "import { createRequire as __rackcastCreateRequire } from 'node:module';\nconst require = __rackcastCreateRequire(import.meta.url);";

/** A file of an npm package, to copy into the image's /app/node_modules. */
export interface PackageFile {
  /** Path below node_modules. Example: lz4-napi/index.js */
  readonly path: string;
  readonly source: string;
}

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly main?: string;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

async function readJson(path: string): Promise<PackageJson> {
  return JSON.parse(await readFile(path, 'utf8')) as PackageJson;
}

function formatMessages(messages: readonly Message[]): string {
  return messages.slice(0, 5).map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`).join('\n');
}

/**
 * Bundles the compiled agent (`tsc -b` output, entry bin/rackcast-agent.js) into one ESM file.
 * Paths in the output are relative to `repoRoot`, so the bytes do not depend on the checkout's
 * location.
 */
export async function bundleAgent(repoRoot: string, agentDir: string, outFile: string): Promise<void> {
  const entry = join(agentDir, 'bin', 'rackcast-agent.js');
  const compiled = await access(join(agentDir, 'dist', 'main.js')).then(() => true, () => false);
  if (!compiled) throw new BuildError('RC_ERR_PREBOOT_AGENT_NOT_BUILT', 'the agent is not compiled (no preboot-image/agent/dist/main.js): run npx tsc -b');
  await mkdir(dirname(outFile), { recursive: true });
  // A temporary name, then rename: a build running at the same time never reads half a bundle.
  const partial = `${outFile}.partial-${process.pid}`;
  try {
    await build({
      entryPoints: [entry], outfile: partial, bundle: true, platform: 'node', target: 'node20', format: 'esm',
      external: [...NATIVE_PACKAGES, ...BUILT_ADDONS, ...OPTIONAL_EXTERNALS], banner: { js: REQUIRE_BANNER },
      legalComments: 'none', logLevel: 'silent', absWorkingDir: repoRoot,
    });
    await rename(partial, outFile);
  } catch (err) {
    await rm(partial, { force: true });
    const errors = (err as { errors?: Message[] }).errors ?? [];
    throw new BuildError('RC_ERR_PREBOOT_BUNDLE', `esbuild could not bundle the agent:\n${formatMessages(errors) || String(err)}`, { cause: err });
  }
}

/** The napi-rs platform package for this machine: `<name>-linux-x64-gnu` among the optional dependencies. */
export function platformPackageName(pkg: PackageJson, platform = `${process.platform}-${process.arch}-gnu`): string | null {
  return Object.keys(pkg.optionalDependencies ?? {}).find((n) => n.endsWith(`-${platform}`)) ?? null;
}

/**
 * The folder of an installed package as node would find it from `fromDir`. Walks node's search
 * path itself: these packages' "exports" hide package.json from require.resolve.
 */
async function packageDir(fromDir: string, name: string): Promise<string> {
  const searchPath = createRequire(join(fromDir, 'package.json')).resolve.paths(name) ?? [];
  for (const dir of searchPath) {
    const candidate = join(dir, name);
    if (await access(join(candidate, 'package.json')).then(() => true, () => false)) return candidate;
  }
  throw new BuildError('RC_ERR_PREBOOT_NATIVE_ADDON', `npm package ${name} is not installed: run npm ci`);
}

/**
 * The files of one native addon the image needs: its package.json and JS loader, and this
 * platform's binary package (package.json and .node files). Nothing else of node_modules.
 */
export async function nativeAddonFiles(agentDir: string, name: string): Promise<PackageFile[]> {
  const dir = await packageDir(agentDir, name);
  const pkg = await readJson(join(dir, 'package.json'));
  const platformName = platformPackageName(pkg);
  if (!platformName) throw new BuildError('RC_ERR_PREBOOT_NATIVE_ADDON', `${name} ships no prebuilt binary for ${process.platform}-${process.arch} (glibc)`);
  const platformDir = await packageDir(dir, platformName);
  const binaries = (await readdir(platformDir)).filter((f) => f.endsWith('.node')).sort();
  if (binaries.length === 0) throw new BuildError('RC_ERR_PREBOOT_NATIVE_ADDON', `${platformName} contains no .node file: reinstall it (npm ci)`);
  return [
    { path: `${name}/package.json`, source: join(dir, 'package.json') },
    { path: `${name}/${pkg.main ?? 'index.js'}`, source: join(dir, pkg.main ?? 'index.js') },
    { path: `${platformName}/package.json`, source: join(platformDir, 'package.json') },
    ...binaries.map((b) => ({ path: `${platformName}/${b}`, source: join(platformDir, b) })),
  ];
}

/** The files of one of this project's addons the image needs: package.json, loader, built binaries. */
export async function builtAddonFiles(agentDir: string, name: string): Promise<PackageFile[]> {
  const dir = await packageDir(agentDir, name);
  const pkg = await readJson(join(dir, 'package.json'));
  const release = join(dir, 'build', 'Release');
  const binaries = (await readdir(release).catch(() => [])).filter((f) => f.endsWith('.node')).sort();
  if (binaries.length === 0) throw new BuildError('RC_ERR_PREBOOT_NATIVE_ADDON', `${name} is not built (no ${release}/*.node): run npm ci, which builds it with node-gyp (needs g++ and make: scripts/install-deps.sh)`);
  return [
    { path: `${name}/package.json`, source: join(dir, 'package.json') },
    { path: `${name}/${pkg.main ?? 'index.js'}`, source: join(dir, pkg.main ?? 'index.js') },
    ...binaries.map((b) => ({ path: `${name}/build/Release/${b}`, source: join(release, b) })),
  ];
}

/** Version of a package.json (the agent's, for the manifest). */
export async function packageVersion(dir: string): Promise<string> {
  return (await readJson(join(dir, 'package.json'))).version ?? '0.0.0';
}
