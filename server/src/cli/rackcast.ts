#!/usr/bin/env node
import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { hasCode, RackcastError } from '../errors.js';
import { createLogger } from '../log.js';
import { serve } from '../main.js';
import { parseImageRef, parseTimeSelector } from '../store/index.js';
import { RACKCAST_VERSION } from '../version.js';
import { formatBytes, formatTable, print } from './format.js';
import { openStoreClient } from './open-store-client.js';
import { progressLine } from './progress-line.js';
import { addAccountCommands } from './account-commands.js';
import { addCaptureCommands } from './capture-commands.js';
import { addDeployCommand } from './deploy-command.js';
import { addMachineCommands } from './machine-commands.js';
import { addRestoreCommand } from './restore-command.js';
import { addSessionCommands } from './session-commands.js';
import { addImageVerifyCommand } from './image-verify-command.js';
import type { StoreClient } from './store-client.js';
import type { VersionRecord } from '../store/index.js';

/** Exit codes: 0 done, 1 refused or failed (message on stderr), 2 verify found damage. */
const EXIT_FAILED = 1;
const EXIT_DAMAGED = 2;

const program = new Command('rackcast')
  .description('Rackcast: network-boot restore appliance')
  .version(RACKCAST_VERSION)
  .option('-c, --config <file>', 'config file merged over config/default.yaml')
  .showHelpAfterError();

/** The captured machine's host name from a version's configuration; "-" for imports. */
function capturedHost(config: VersionRecord['config']): string {
  const host = config !== null && typeof config === 'object' && !Array.isArray(config) ? config['hostname'] : undefined;
  return typeof host === 'string' && host !== '' ? host : '-';
}

/** "import golden.qcow2 qcow2", "capture 3 delta from 1 52:54:00:…". */
function describeSource(s: VersionRecord['source']): string {
  if (s.kind !== 'capture') return [s.kind, s.file, s.format].filter(Boolean).join(' ');
  return ['capture', s.capture, s.offer, s.baseVersion !== undefined ? `from ${s.baseVersion}` : '', s.machine].filter((x) => x !== undefined && x !== '').join(' ');
}

/** Runs a command against the store (in-process, or through the running server). */
async function withStore(run: (client: StoreClient) => Promise<unknown>): Promise<void> {
  const config = loadConfig(program.opts<{ config?: string }>().config, process.env);
  // Commands keep stderr for errors and progress; the JSON log goes there only on warnings.
  const log = createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
  const client = await openStoreClient(config, log);
  try {
    const code = await run(client);
    if (typeof code === 'number') process.exitCode = code;
  } finally {
    await client.close();
    log.flush();
  }
}

program.command('serve')
  .description('run the boot server (HTTP API; DHCP, TFTP and multicast in later versions) until stopped')
  .action(() => serve(program.opts<{ config?: string }>().config, process.env));

const image = program.command('image').description('images and their versions');

image.command('import <file>')
  .description('import a disk image (raw, qcow2, vmdk, vdi, vhdx, vpc) as a new version of an image')
  .requiredOption('-n, --name <name>', 'image name; an existing name gets a new version')
  .option('--raw', 'accept a raw file without partition table or filesystem signature')
  .option('--json', 'print the version as JSON')
  .action((file: string, opts: { name: string; raw?: boolean; json?: boolean }) => withStore(async (client) => {
    const bar = progressLine(`importing ${opts.name}`);
    const version = await client.importImage(file, opts.name, opts.raw ?? false, (p) => bar.update(p));
    bar.done();
    print(opts.json ?? false, version, () =>
      `imported ${version.image}@${version.version}: ${version.blockCount} blocks, ${formatBytes(version.usedBytes)} used of ${formatBytes(version.diskSize)}, ` +
      `${version.newBlocks} new blocks (${formatBytes(version.newStoredBytes)} stored)`);
  }));

image.command('export <image> <out>')
  .description('write a version (<name>[@<version>]) as a sparse raw disk image')
  .option('--at <time>', 'the newest version at or before this time (ISO 8601)')
  .option('-f, --force', 'replace <out> if it exists')
  .option('--json', 'print the result as JSON')
  .action((ref: string, out: string, opts: { at?: string; force?: boolean; json?: boolean }) => withStore(async (client) => {
    const { name, version } = parseImageRef(ref);
    const selector = opts.at ? parseTimeSelector(opts.at) : version;
    const bar = progressLine(`exporting ${name}`);
    const result = await client.exportImage(name, selector, out, opts.force ?? false, (p) => bar.update(p));
    bar.done();
    print(opts.json ?? false, result, () => `exported ${name}@${result.version.version} to ${result.out} (${formatBytes(result.version.diskSize)}, ${formatBytes(result.bytesWritten)} written)`);
  }));

image.command('list')
  .description('list images with their newest version')
  .option('--json', 'print as JSON')
  .action((opts: { json?: boolean }) => withStore(async (client) => {
    const images = await client.listImages();
    print(opts.json ?? false, images, () => formatTable(['IMAGE', 'VERSIONS', 'LATEST', 'CREATED', 'DISK', 'USED'],
      images.map((i) => [i.name, String(i.versionCount), i.latest ? String(i.latest.version) : '-', i.latest?.createdAt ?? '-',
        i.latest ? formatBytes(i.latest.diskSize) : '-', i.latest ? formatBytes(i.latest.usedBytes) : '-'])));
  }));

image.command('versions <name>')
  .description('list the versions of an image (points in time)')
  .option('--json', 'print as JSON')
  .action((name: string, opts: { json?: boolean }) => withStore(async (client) => {
    const versions = await client.listVersions(name);
    print(opts.json ?? false, versions, () => formatTable(['VERSION', 'TIME', 'DISK', 'USED', 'BLOCKS', 'NEW', 'NEW STORED', 'HOST', 'SOURCE'],
      versions.map((v) => [String(v.version), v.createdAt, formatBytes(v.diskSize), formatBytes(v.usedBytes), String(v.blockCount),
        formatBytes(v.newBytes), formatBytes(v.newStoredBytes), capturedHost(v.config), describeSource(v.source)])));
  }));

image.command('rm <image>')
  .description('delete an image (<name>) or one version (<name>@<version>); run `store gc` to free space')
  .option('--json', 'print what was removed as JSON')
  .action((ref: string, opts: { json?: boolean }) => withStore(async (client) => {
    const { name } = parseImageRef(ref);
    const removed = ref.includes('@') ? [await client.removeVersion(name, parseImageRef(ref).version)] : await client.removeImage(name);
    print(opts.json ?? false, removed, () => `removed ${removed.map((v) => `${v.image}@${v.version}`).join(', ') || name}`);
  }));

addImageVerifyCommand(image, withStore);

const store = program.command('store').description('the image store as a whole');

store.command('verify')
  .description('re-read and re-hash every block; report damage by image, version and block')
  .option('--json', 'print the report as JSON')
  .action((opts: { json?: boolean }) => withStore(async (client) => {
    const report = await client.verify();
    print(opts.json ?? false, report, () => [
      `${report.ok ? 'store is sound' : 'store has damage'}: ${report.versions} versions, ${report.checkedBlocks} blocks, ${formatBytes(report.checkedBytes)} checked`,
      ...report.problems.map((p) => `  ${p.kind} ${p.image ?? ''}${p.version !== undefined ? `@${p.version}` : ''}${p.block !== undefined ? ` block ${p.block} (offset ${p.offset})` : ''}: ${p.message}`),
    ].join('\n'));
    return report.ok ? 0 : EXIT_DAMAGED;
  }));

store.command('gc')
  .description('delete blocks and manifests no version uses, and stale temporary files')
  .option('--json', 'print the report as JSON')
  .action((opts: { json?: boolean }) => withStore(async (client) => {
    const r = await client.gc();
    print(opts.json ?? false, r, () => `removed ${r.removedBlocks} blocks (${formatBytes(r.freedBytes)}), ${r.removedManifests} manifests, ${r.removedTemp} temporary files`);
  }));

addSessionCommands(program, () => loadConfig(program.opts<{ config?: string }>().config, process.env), async (work) => { await work(); });
addMachineCommands(program, () => loadConfig(program.opts<{ config?: string }>().config, process.env));
addDeployCommand(program, () => loadConfig(program.opts<{ config?: string }>().config, process.env));
addRestoreCommand(program, () => loadConfig(program.opts<{ config?: string }>().config, process.env));
addCaptureCommands(program, () => loadConfig(program.opts<{ config?: string }>().config, process.env));
addAccountCommands(program, () => loadConfig(program.opts<{ config?: string }>().config, process.env));

program.parseAsync(process.argv).catch((err: unknown) => {
  const json = process.argv.includes('--json');
  if (err instanceof RackcastError || hasCode(err, 'RC_ERR_INTERNAL')) {
    const e = err as RackcastError;
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
    process.stderr.write(`rackcast: ${e.code}: ${e.message}\n`);
  } else {
    process.stderr.write(`rackcast: RC_ERR_INTERNAL: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  }
  process.exitCode = EXIT_FAILED;
});
