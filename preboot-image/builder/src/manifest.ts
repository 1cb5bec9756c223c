import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from './image-plan.js';

/** Size and hash of one output file. */
export interface OutputFile {
  readonly size: number;
  readonly sha256: string;
}

/** The output files, by name in the output folder. */
export const OUTPUT_NAMES = ['vmlinuz', 'initrd.img', 'agent.img'] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** manifest.json: what a preboot image is made of. Written last, so it always describes files present. */
export interface PrebootManifest {
  readonly format: 1;
  readonly kernel: { readonly package: string; readonly version: string; readonly release: string };
  readonly node: { readonly version: string; readonly binarySha256: string };
  readonly busybox: { readonly version: string };
  readonly agent: { readonly version: string; readonly bundleSha256: string; readonly nativeAddons: readonly string[] };
  readonly modules: {
    readonly count: number;
    /** Every module of the image, in load order (dependencies first). */
    readonly names: readonly string[];
    /** Requested modules the kernel has built in. */
    readonly builtin: readonly string[];
    readonly firmwareIncluded: readonly string[];
    /** Modules whose firmware files the build host lacks: they load but their hardware may not work. */
    readonly missingFirmware: readonly { readonly module: string; readonly files: readonly string[] }[];
  };
  readonly tools: readonly { readonly name: string; readonly path: string }[];
  /** Optional tools the build host lacks (left out). */
  readonly toolsMissing: readonly string[];
  readonly sourceDateEpoch: number;
  readonly compression: string;
  /** Keys of the archives' inputs: equal keys, equal bytes. */
  readonly inputs: { readonly vmlinuz: string; readonly base: string; readonly agent: string };
  /** Bytes of file content once unpacked (RAM the image occupies). */
  readonly unpackedBytes: { readonly base: number; readonly agent: number };
  readonly files: Readonly<Record<OutputName, OutputFile>>;
}

export const MANIFEST_NAME = 'manifest.json';

/** The manifest in `outDir`, or null when absent or unreadable (then everything is rebuilt). */
export async function readManifest(outDir: string): Promise<PrebootManifest | null> {
  try {
    const value = JSON.parse(await readFile(join(outDir, MANIFEST_NAME), 'utf8')) as Partial<PrebootManifest>;
    return value.format === 1 && value.inputs && value.files ? value as PrebootManifest : null;
  } catch {
    return null;
  }
}

export async function describeFile(path: string): Promise<OutputFile> {
  const [info, sha256] = await Promise.all([stat(path), sha256File(path)]);
  return { size: info.size, sha256 };
}

/** True when `outDir/name` exists with the size and hash the manifest recorded. */
export async function outputIntact(outDir: string, name: OutputName, recorded: OutputFile | undefined): Promise<boolean> {
  if (!recorded) return false;
  try {
    const actual = await describeFile(join(outDir, name));
    return actual.size === recorded.size && actual.sha256 === recorded.sha256;
  } catch {
    return false;
  }
}

/** Writes manifest.json atomically; returns false when the file already had this content. */
export async function writeManifest(outDir: string, manifest: PrebootManifest): Promise<boolean> {
  const path = join(outDir, MANIFEST_NAME);
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const old = await readFile(path, 'utf8').catch(() => null);
  if (old === text) return false;
  await writeFile(`${path}.partial-${process.pid}`, text);
  await rename(`${path}.partial-${process.pid}`, path);
  return true;
}
