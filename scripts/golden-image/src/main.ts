import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BuildError } from '../../../preboot-image/builder/dist/index.js';
import { buildGoldenImage, type GoldenImageResult } from './build-golden-image.js';
import { GoldenImageError } from './golden-error.js';
import { byteLength } from './layout.js';
import { DEFAULT_DISK_BYTES, DEFAULT_HOSTNAME, DEFAULT_MACHINE_ID, MIB, parseEpoch, parseHostname, parseMachineId, parseSize } from './options.js';

/**
 * build-golden-image: builds the golden test image (a small Linux system on a GPT disk that
 * prints one marker line and powers off). The only reader of argv and the environment here.
 */
const USAGE = `usage: scripts/build-golden-image <out.img> [options]
  --size SIZE           disk size, whole MiB (default 512M; the file is sparse)
  --hostname NAME       /etc/hostname of the image (default ${DEFAULT_HOSTNAME})
  --machine-id ID       /etc/machine-id, 32 hex digits (default ${DEFAULT_MACHINE_ID})
  --cache DIR           kernel download cache, shared with build-preboot (default var/cache/preboot)
  --kernel-package PKG  kernel package to use (default: the one linux-image-amd64 depends on)
  --json                print the result as JSON instead of text
  -h, --help            this text
environment: SOURCE_DATE_EPOCH  time stamp of every file (default 1700000000)`;

const builderDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = resolve(builderDir, '..', '..');

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

function report(r: GoldenImageResult, shownOut: string): string {
  return [
    `golden image written to ${shownOut} in ${r.seconds.toFixed(1)} s`,
    `  sha256     ${r.sha256}`,
    `  kernel     ${r.kernel.release} (${r.kernel.package} ${r.kernel.version}), busybox ${r.busyboxVersion}`,
    `  identity   hostname ${r.hostname}, machine-id ${r.machineId}`,
    `  disk       ${r.layout.diskBytes / MIB} MiB (${r.layout.diskBytes} bytes), GPT: 1 EFI System FAT32 ${byteLength(r.layout.esp) / MIB} MiB, ` +
      `2 root ext4 ${byteLength(r.layout.root) / MIB} MiB`,
    `  used       ${mb(r.allocatedBytes)} allocated on this host (sparse); ESP files ${mb(r.espFileBytes)} (initramfs ${mb(r.initramfsBytes)}), ` +
      `root file system ${mb(r.rootUsedBytes)}`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      'size': { type: 'string' }, 'hostname': { type: 'string' }, 'machine-id': { type: 'string' }, 'cache': { type: 'string' },
      'kernel-package': { type: 'string' }, 'json': { type: 'boolean' }, 'help': { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) { process.stdout.write(`${USAGE}\n`); return; }
  if (positionals.length !== 1 || !positionals[0]) throw new GoldenImageError('RC_ERR_GOLDEN_BAD_OPTION', 'give exactly one output file, e.g. scripts/build-golden-image var/golden/golden.img');
  const shownOut = positionals[0];
  const result = await buildGoldenImage({
    out: resolve(shownOut),
    diskBytes: values.size ? parseSize(values.size) : DEFAULT_DISK_BYTES,
    hostname: parseHostname(values.hostname ?? DEFAULT_HOSTNAME),
    machineId: parseMachineId(values['machine-id'] ?? DEFAULT_MACHINE_ID),
    cacheDir: resolve(values.cache ?? resolve(repoRoot, 'var', 'cache', 'preboot')),
    ...(values['kernel-package'] ? { kernelPackage: values['kernel-package'] } : {}),
    builderDir,
    epoch: parseEpoch(process.env.SOURCE_DATE_EPOCH),
    log: (line) => process.stderr.write(`build-golden-image: ${line}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : report(result, shownOut));
}

main().catch((err: unknown) => {
  if (err instanceof GoldenImageError || err instanceof BuildError) process.stderr.write(`build-golden-image: ${err.code}: ${err.message}\n`);
  else if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) process.stderr.write(`build-golden-image: ${err.message}\n${USAGE}\n`);
  else process.stderr.write(`build-golden-image: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
