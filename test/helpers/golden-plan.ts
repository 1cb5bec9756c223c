// The golden test image (scripts/golden-image) as a deploy source for disk tests: build it,
// copy it onto disk files of other sizes, and make the deploy plan a server would send for it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DeployPlan, NicConfig } from '@rackcast/wire';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = join(ROOT, 'scripts', 'golden-image', 'dist', 'main.js');
const MIB = 2 ** 20;
/** Debian keeps sfdisk, debugfs, e2fsck and resize2fs in /usr/sbin. */
export const TOOL_ENV = { ...process.env, PATH: `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C' };

export interface GoldenImage {
  readonly path: string;
  readonly diskBytes: number;
  /** Byte offsets and sizes of the ESP (partition 1) and the root ext4 (partition 2). */
  readonly esp: { readonly offset: number; readonly bytes: number };
  readonly root: { readonly offset: number; readonly bytes: number };
  readonly hostname: string;
  readonly machineId: string;
  /** End of the last non-zero 4 KiB outside the backup GPT: what a capture's used data would end at. */
  readonly usedEndBytes: number;
}

interface BuildJson {
  layout: { diskBytes: number; esp: { startSector: number; sectors: number }; root: { startSector: number; sectors: number } };
  hostname: string;
  machineId: string;
}

/** Runs a tool with sbin on the PATH; resolves with stdout, rejects with stderr. */
export async function tool(cmd: string, args: readonly string[], input?: string): Promise<string> {
  if (input === undefined) return (await execFileAsync(cmd, [...args], { env: TOOL_ENV, maxBuffer: 64 * MIB })).stdout;
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, [...args], { env: TOOL_ENV, maxBuffer: 64 * MIB }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd}: ${stderr}`)) : resolve(stdout)));
    child.stdin?.end(input);
  });
}

/** The end of the last non-zero 4 KiB block before `end`, scanning backwards a MiB at a time. */
async function lastDataEnd(path: string, end: number): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(MIB);
    for (let chunkEnd = end; chunkEnd > 0; chunkEnd -= MIB) {
      const start = Math.max(0, chunkEnd - MIB);
      const { bytesRead } = await fh.read(buf, 0, chunkEnd - start, start);
      for (let at = bytesRead - 4096; at >= 0; at -= 4096) {
        if (buf.subarray(at, at + 4096).some((b) => b !== 0)) return start + at + 4096;
      }
    }
    return 0;
  } finally {
    await fh.close();
  }
}

/** Builds the golden image (about 5 s with the kernel cached). */
export async function buildGoldenImage(dir: string, args: readonly string[] = []): Promise<GoldenImage> {
  const path = join(dir, 'golden.img');
  const { stdout } = await execFileAsync(process.execPath, [MAIN, path, '--json', ...args], { cwd: ROOT, env: TOOL_ENV, timeout: 10 * 60_000, maxBuffer: 8 * MIB });
  const json = JSON.parse(stdout) as BuildJson;
  const { layout } = json;
  return {
    path, diskBytes: layout.diskBytes, hostname: json.hostname, machineId: json.machineId,
    esp: { offset: layout.esp.startSector * 512, bytes: layout.esp.sectors * 512 },
    root: { offset: layout.root.startSector * 512, bytes: layout.root.sectors * 512 },
    usedEndBytes: await lastDataEnd(path, layout.diskBytes - 33 * 512),
  };
}

/** A sparse copy of the image on a disk file of `bytes` (bigger: zeros after; smaller: cut). */
export async function diskCopy(image: GoldenImage, path: string, bytes: number): Promise<string> {
  await execFileAsync('cp', ['--sparse=always', image.path, path]);
  await truncate(path, bytes);
  return path;
}

/** sha256 of a file or of a byte range of it. */
export async function sha256(path: string, range?: { readonly offset: number; readonly bytes: number }): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(path, range ? { start: range.offset, end: range.offset + range.bytes - 1 } : {});
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface PlanChanges {
  readonly table?: 'gpt' | 'mbr';
  readonly targetBytes?: number;
  readonly usedEndBytes?: number;
  readonly resizePartition?: number | null;
  readonly hostname?: string;
  readonly nics?: readonly NicConfig[];
  readonly uefiBootEntry?: DeployPlan['personalise']['uefiBootEntry'];
}

/** The plan a server would make to deploy the golden image onto a disk of `targetBytes`. */
export function goldenPlan(image: GoldenImage, c: PlanChanges = {}): DeployPlan {
  return {
    schema: 1,
    image: { name: 'golden', version: 1, diskBytes: image.diskBytes, usedEndBytes: c.usedEndBytes ?? image.usedEndBytes, table: c.table ?? 'gpt' },
    target: { serial: 'rackcast-disk-1', wwn: '', sizeBytes: c.targetBytes ?? image.diskBytes, model: '', nameHint: 'vda' },
    untouched: [],
    layout: { resizePartition: c.resizePartition === undefined ? 2 : c.resizePartition, filesystem: 'ext4' },
    personalise: {
      rootPartition: 2, hostname: c.hostname ?? 'rack1-7', nics: c.nics ?? [], newMachineId: true, removeSshHostKeys: true,
      uefiBootEntry: c.uefiBootEntry ?? null,
    },
  };
}

/** One file of the ext4 at `offset` in a disk file, read with debugfs. */
export async function readExt4File(disk: string, offset: number, path: string): Promise<string> {
  return tool('debugfs', ['-R', `cat "${path}"`, `${disk}?offset=${offset}`]);
}

/** `debugfs ls -p` names of a folder of the ext4 at `offset` ("." and ".." left out). */
export async function listExt4Dir(disk: string, offset: number, dir: string): Promise<string[]> {
  const out = await tool('debugfs', ['-R', `ls -p "${dir}"`, `${disk}?offset=${offset}`]);
  return out.split('\n').map((l) => /^\/\d+\/\d+\/\d+\/\d+\/(.*)\/\d*\/$/.exec(l)?.[1]).filter((n): n is string => n !== undefined && n !== '.' && n !== '..');
}

/** `e2fsck -fn` of the ext4 at `offset`: exit code and output (0 = clean). */
export async function checkExt4(disk: string, offset: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('e2fsck', ['-f', '-n', `${disk}?offset=${offset}`], { env: TOOL_ENV }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 99) : 0, output: `${stdout}${stderr}` });
    });
  });
}
