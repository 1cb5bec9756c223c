import { copyFile, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { planAgent } from './agent-image.js';
import { planBase } from './base-image.js';
import { archiveSalt, writeArchive, type ArchiveOptions } from './cpio-archive.js';
import { collectInputs, type CollectedInputs, type InputOptions } from './collect-inputs.js';
import { sha256Bytes, type ImagePlan } from './image-plan.js';
import { describeFile, outputIntact, readManifest, writeManifest, type OutputFile, type OutputName, type PrebootManifest } from './manifest.js';
import { missingFirmware, moduleNameOf } from './module-set.js';
import { runCommand } from './run-command.js';

/** Options of one build (main.ts fills them from the command line). */
export interface BuildOptions extends InputOptions {
  /** Output folder. Example: var/preboot */
  readonly outDir: string;
  /** mtime of every archive entry (SOURCE_DATE_EPOCH). */
  readonly epoch: number;
  /** Rebuild every output even when its inputs are unchanged. */
  readonly force: boolean;
}

/** What a build did, per output: rebuilt (with the seconds it took) or up to date. */
export interface BuildResult {
  readonly manifest: PrebootManifest;
  readonly rebuilt: Readonly<Record<OutputName, number | null>>;
  readonly manifestChanged: boolean;
}

const ZSTD_LEVEL = 3;

async function copyAtomically(source: string, target: string): Promise<void> {
  const partial = `${target}.partial-${process.pid}`;
  await copyFile(source, partial);
  await rename(partial, target);
}

/** Runs `fn` and returns the seconds it took. */
async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function manifestOf(inputs: CollectedInputs, keys: PrebootManifest['inputs'], plans: { base: ImagePlan; agent: ImagePlan },
  files: PrebootManifest['files'], opts: BuildOptions): PrebootManifest {
  const { kernel, modules } = inputs;
  return {
    format: 1,
    kernel: { package: kernel.packageName, version: kernel.packageVersion, release: kernel.release },
    node: { version: inputs.node.version, binarySha256: inputs.nodeSourceSha256 },
    busybox: { version: inputs.busybox.version },
    agent: { version: inputs.agent.version, bundleSha256: inputs.agent.bundleSha256, nativeAddons: inputs.agent.addonNames },
    modules: {
      count: modules.files.length,
      names: modules.files.map(moduleNameOf),
      builtin: modules.builtin,
      firmwareIncluded: [...modules.firmware.values()].flat().filter((f) => f.source !== null).map((f) => f.name).sort(),
      missingFirmware: missingFirmware(modules),
    },
    tools: inputs.tools.map((t) => ({ name: t.name, path: t.path })),
    toolsMissing: inputs.toolsMissing,
    sourceDateEpoch: opts.epoch,
    compression: `zstd -${ZSTD_LEVEL}`,
    inputs: keys,
    unpackedBytes: { base: plans.base.contentBytes(), agent: plans.agent.contentBytes() },
    files,
  };
}

/**
 * Builds vmlinuz, initrd.img (base) and agent.img into `outDir`, each only when its inputs
 * changed (or `force`), then manifest.json. Two builds from the same inputs give the same bytes.
 */
export async function buildPreboot(opts: BuildOptions): Promise<BuildResult> {
  const inputs = await collectInputs(opts);
  const base = await planBase(inputs);
  const agent = await planAgent({ bundle: inputs.agent.bundle, agentVersion: inputs.agent.version, addons: inputs.agent.addons, imageFilesDir: join(opts.builderDir, 'image-files') });
  const zstdVersion = /v(\d+\.\d+\.\d+)/.exec(await runCommand('zstd', ['--version']))?.[1] ?? 'unknown';
  const archive: ArchiveOptions = { epoch: opts.epoch, zstdLevel: ZSTD_LEVEL, workDir: join(opts.cacheDir, 'work') };
  const salt = archiveSalt(archive, zstdVersion);
  const keys = {
    vmlinuz: sha256Bytes(`${inputs.kernel.packageName} ${inputs.kernel.packageVersion}`),
    base: base.key(salt),
    agent: agent.key(salt),
  };
  await mkdir(opts.outDir, { recursive: true });
  const previous = opts.force ? null : await readManifest(opts.outDir);
  const upToDate = async (name: OutputName, key: keyof typeof keys): Promise<boolean> =>
    previous?.inputs[key] === keys[key] && await outputIntact(opts.outDir, name, previous.files[name]);
  const out = (name: OutputName): string => join(opts.outDir, name);

  const rebuilt: Record<OutputName, number | null> = { 'vmlinuz': null, 'initrd.img': null, 'agent.img': null };
  if (!await upToDate('vmlinuz', 'vmlinuz')) rebuilt.vmlinuz = await timed(() => copyAtomically(inputs.kernel.vmlinuz, out('vmlinuz')));
  if (!await upToDate('initrd.img', 'base')) rebuilt['initrd.img'] = await timed(() => writeArchive(base, out('initrd.img'), archive));
  if (!await upToDate('agent.img', 'agent')) rebuilt['agent.img'] = await timed(() => writeArchive(agent, out('agent.img'), archive));

  // Outputs left alone were just verified against the previous manifest: no need to hash them again.
  const describe = async (name: OutputName): Promise<OutputFile> =>
    rebuilt[name] === null && previous ? previous.files[name] : describeFile(out(name));
  const files = { 'vmlinuz': await describe('vmlinuz'), 'initrd.img': await describe('initrd.img'), 'agent.img': await describe('agent.img') };
  const manifest = manifestOf(inputs, keys, { base, agent }, files, opts);
  const manifestChanged = await writeManifest(opts.outDir, manifest);
  return { manifest, rebuilt, manifestChanged };
}
