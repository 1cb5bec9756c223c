import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BuildError } from './build-error.js';
import { buildPreboot, type BuildResult } from './build-preboot.js';
import { OUTPUT_NAMES } from './manifest.js';

/**
 * build-preboot: builds the preboot image (vmlinuz, initrd.img, agent.img, manifest.json).
 * The only reader of argv and the environment (SOURCE_DATE_EPOCH) in the builder.
 */
const USAGE = `usage: scripts/build-preboot [options]
  --out DIR             output folder (default var/preboot: the server's default boot.prebootDir)
  --cache DIR           downloads, unpacked kernel, stripped node (default var/cache/preboot)
  --kernel-package PKG  kernel package to use (default: the one linux-image-amd64 depends on)
  --firmware-dir DIR    where the host keeps firmware files (default /lib/firmware)
  --force               rebuild every output even when its inputs are unchanged
  -h, --help            this text
environment: SOURCE_DATE_EPOCH  mtime of every archive entry (default 0)`;

const builderDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = resolve(builderDir, '..', '..');

function parseEpoch(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text)) throw new BuildError('RC_ERR_PREBOOT_BAD_OPTION', `SOURCE_DATE_EPOCH must be a number of seconds, got '${text}'`);
  return Number(text);
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

function report(result: BuildResult, outDir: string): string {
  const { manifest, rebuilt } = result;
  const anyRebuilt = OUTPUT_NAMES.some((n) => rebuilt[n] !== null);
  const lines = [
    anyRebuilt || result.manifestChanged ? `preboot image built in ${outDir}` : `preboot image in ${outDir} is up to date: nothing to do`,
    `  kernel ${manifest.kernel.release} (${manifest.kernel.package} ${manifest.kernel.version}), node ${manifest.node.version}, ` +
      `agent ${manifest.agent.version}, busybox ${manifest.busybox.version}, ${manifest.modules.count} modules`,
  ];
  let total = 0;
  for (const name of OUTPUT_NAMES) {
    const file = manifest.files[name];
    total += file.size;
    const seconds = rebuilt[name];
    lines.push(`  ${name.padEnd(11)} ${mb(file.size).padStart(9)}  ${seconds === null ? 'up to date' : `rebuilt in ${seconds.toFixed(1)} s`}`);
  }
  const ram = manifest.unpackedBytes.base + manifest.unpackedBytes.agent;
  lines.push(`  ${'total'.padEnd(11)} ${mb(total).padStart(9)}  (unpacked in RAM: ${mb(ram)})`);
  const missing = manifest.modules.missingFirmware;
  if (missing.length > 0) {
    lines.push(`note: ${missing.length} modules lack firmware on this host (${missing.map((m) => m.module).join(', ')}); their hardware may not work. ` +
      'Install the Debian firmware packages (non-free-firmware) here and rebuild; details in manifest.json');
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'out': { type: 'string' }, 'cache': { type: 'string' }, 'kernel-package': { type: 'string' },
      'firmware-dir': { type: 'string' }, 'force': { type: 'boolean' }, 'help': { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) { process.stdout.write(`${USAGE}\n`); return; }
  const outDir = resolve(values.out ?? resolve(repoRoot, 'var', 'preboot'));
  const result = await buildPreboot({
    repoRoot, builderDir, outDir,
    cacheDir: resolve(values.cache ?? resolve(repoRoot, 'var', 'cache', 'preboot')),
    ...(values['kernel-package'] ? { kernelPackage: values['kernel-package'] } : {}),
    firmwareDir: values['firmware-dir'] ?? '/lib/firmware',
    nodeBinary: process.execPath,
    epoch: parseEpoch(process.env.SOURCE_DATE_EPOCH),
    force: values.force ?? false,
    log: (line) => process.stderr.write(`build-preboot: ${line}\n`),
  });
  process.stdout.write(report(result, values.out ?? 'var/preboot'));
}

main().catch((err: unknown) => {
  if (err instanceof BuildError) process.stderr.write(`build-preboot: ${err.code}: ${err.message}\n`);
  else if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) process.stderr.write(`build-preboot: ${err.message}\n${USAGE}\n`);
  else process.stderr.write(`build-preboot: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
