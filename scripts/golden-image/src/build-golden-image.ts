import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensureKernelTree, resolveKernelPackage, sha256File, writeArchive } from '../../../preboot-image/builder/dist/index.js';
import { allocatedBytes, assembleDisk } from './disk-file.js';
import { buildExt4, ext4UsedBytes } from './ext4-partition.js';
import { buildEsp } from './fat-partition.js';
import { checkHostTools, findBusybox } from './host-inputs.js';
import { planInitramfs } from './initramfs.js';
import { byteLength, planLayout, type DiskLayout } from './layout.js';
import { planRoot, type RootIdentity } from './root-tree.js';

/** Options of one build (main.ts fills them from the command line). */
export interface GoldenImageOptions extends RootIdentity {
  /** The disk image file to write. Example: var/golden/golden.img */
  readonly out: string;
  readonly diskBytes: number;
  /** Shared with the preboot builder: the Debian kernel package is downloaded and unpacked there once. */
  readonly cacheDir: string;
  /** Kernel package instead of the one linux-image-amd64 depends on. Example: linux-image-6.1.0-56-amd64 */
  readonly kernelPackage?: string;
  /** This builder's folder: image-files/ lives there. */
  readonly builderDir: string;
  /** Time stamp of every file (SOURCE_DATE_EPOCH). */
  readonly epoch: number;
  readonly log: (line: string) => void;
}

/** What was built, for the report and for tests. */
export interface GoldenImageResult {
  readonly out: string;
  readonly sha256: string;
  readonly layout: DiskLayout;
  readonly kernel: { readonly package: string; readonly version: string; readonly release: string };
  readonly busyboxVersion: string;
  readonly hostname: string;
  readonly machineId: string;
  /** Bytes the image file occupies on the host (it is sparse). */
  readonly allocatedBytes: number;
  /** Bytes of the files in the EFI System partition (kernel, initramfs, syslinux). */
  readonly espFileBytes: number;
  /** Bytes the root file system uses. */
  readonly rootUsedBytes: number;
  readonly initramfsBytes: number;
  readonly seconds: number;
}

/**
 * Builds the golden test image: a GPT disk with an EFI System partition (syslinux for BIOS and
 * UEFI, the Debian kernel, a small initramfs) and an ext4 root that prints one marker line and
 * powers off. No loop device, no mount: every file system is built as a file and copied in.
 * The same inputs (kernel package, busybox, options, SOURCE_DATE_EPOCH) give the same bytes.
 */
export async function buildGoldenImage(opts: GoldenImageOptions): Promise<GoldenImageResult> {
  const start = process.hrtime.bigint();
  await checkHostTools();
  const layout = planLayout(opts.diskBytes);
  const { name, version } = await resolveKernelPackage(opts.kernelPackage, opts.log);
  const kernel = await ensureKernelTree(opts.cacheDir, name, version, opts.log);
  const busybox = await findBusybox();
  const imageFiles = join(opts.builderDir, 'image-files');

  await mkdir(dirname(opts.out), { recursive: true });
  const scratch = await mkdtemp(join(dirname(opts.out), '.golden-build-'));
  try {
    const initramfs = join(scratch, 'initrd.img');
    await writeArchive(await planInitramfs(kernel, busybox, imageFiles), initramfs, { epoch: opts.epoch, zstdLevel: 3, workDir: join(scratch, 'work') });
    const esp = join(scratch, 'esp.img');
    const espFileBytes = await buildEsp({ vmlinuz: kernel.vmlinuz, initramfs, startSector: layout.esp.startSector, bytes: byteLength(layout.esp), epoch: opts.epoch }, esp, scratch);
    const root = join(scratch, 'root.img');
    const rootPlan = await planRoot(kernel, busybox, imageFiles, { hostname: opts.hostname, machineId: opts.machineId });
    await buildExt4(rootPlan, root, byteLength(layout.root), opts.epoch, scratch);
    const rootUsedBytes = await ext4UsedBytes(root);
    await assembleDisk(opts.out, layout, esp, root);
    const { size: initramfsBytes } = await stat(initramfs);
    return {
      out: opts.out, sha256: await sha256File(opts.out), layout,
      kernel: { package: kernel.packageName, version: kernel.packageVersion, release: kernel.release },
      busyboxVersion: busybox.version, hostname: opts.hostname, machineId: opts.machineId,
      allocatedBytes: await allocatedBytes(opts.out), espFileBytes, rootUsedBytes, initramfsBytes,
      seconds: Number(process.hrtime.bigint() - start) / 1e9,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
