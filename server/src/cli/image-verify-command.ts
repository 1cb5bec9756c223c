import type { Command } from 'commander';
import { hasCode, RackcastError } from '../errors.js';
import { parseImageRef, parseTimeSelector, type StoreProblem, type VersionRecord, type VersionSelector } from '../store/index.js';
import { DEFAULT_TIMEOUT_MS, parseExpect, trialBoot, type DiskBus, type TrialReport } from '../trial/index.js';
import { formatBytes, print } from './format.js';
import type { StoreClient } from './store-client.js';

/** Exit code when the blocks of the version are damaged (as `store verify`). */
const EXIT_DAMAGED = 2;
/** Exit code after Ctrl-C, as a shell reports a process ended by SIGINT. */
const EXIT_INTERRUPTED = 130;

interface VerifyOptions {
  at?: string;
  boot?: boolean;
  expect?: string;
  timeout?: string;
  uefi?: boolean;
  bios?: boolean;
  memory?: string;
  diskBus?: string;
  json?: boolean;
}

type WithStore = (run: (client: StoreClient) => Promise<unknown>) => Promise<void>;

function positiveNumber(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new RackcastError('RC_ERR_BAD_REQUEST', `${what} ${JSON.stringify(text)} is not a positive number`, { [what]: text });
  return n;
}

/** The version a selector names, from the image's version list (the same rule as the store's). */
function pick(versions: readonly VersionRecord[], selector: VersionSelector, ref: string): VersionRecord {
  const found = typeof selector === 'number' ? versions.find((v) => v.version === selector)
    : selector === 'latest' ? versions.at(-1)
      : versions.filter((v) => Date.parse(v.createdAt) <= selector.at.getTime()).at(-1);
  if (!found) throw new RackcastError('RC_ERR_STORE_VERSION_NOT_FOUND', `no version ${ref} in the store; list them with \`rackcast image versions\``, { ref });
  return found;
}

/** Without --boot: re-hash the blocks and decode the manifest; report this version's damage. */
async function verifyBlocks(client: StoreClient, name: string, selector: VersionSelector, ref: string, json: boolean): Promise<number> {
  const version = pick(await client.listVersions(name), selector, ref);
  const report = await client.verify();
  const problems: StoreProblem[] = report.problems.filter((p) => p.image === name && p.version === version.version);
  const ok = problems.length === 0;
  print(json, { image: name, version: version.version, ok, blocks: version.blockCount, usedBytes: version.usedBytes, problems }, () => [
    `${name}@${version.version} ${ok ? 'is sound' : 'has damage'}: ${version.blockCount} blocks, ${formatBytes(version.usedBytes)} re-hashed` +
      `${ok ? '; add --boot to restore it into a VM and boot it' : ''}`,
    ...problems.map((p) => `  ${p.kind}${p.block !== undefined ? ` block ${p.block} (offset ${p.offset})` : ''}: ${p.message}`),
  ].join('\n'));
  return ok ? 0 : EXIT_DAMAGED;
}

function describeTrial(r: TrialReport): string {
  return [
    `${r.image}@${r.version} boots: matched after ${r.bootSeconds} s (${r.firmware}, ${r.diskBus} disk; export ${r.exportSeconds} s)`,
    `  ${r.matched}`,
  ].join('\n');
}

/** Ctrl-C (and SIGTERM) aborts the trial, which removes its VM and scratch disk before we exit. */
function interruptible(): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { signal: controller.signal, release: () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); } };
}

async function bootTrial(client: StoreClient, name: string, selector: VersionSelector, ref: string, o: VerifyOptions): Promise<number> {
  if (o.uefi && o.bios) throw new RackcastError('RC_ERR_BAD_REQUEST', 'give --uefi or --bios, not both', {});
  const expect = o.expect === undefined ? undefined : parseExpect(o.expect);
  if (expect === null) throw new RackcastError('RC_ERR_TRIAL_BAD_EXPECT', `--expect ${JSON.stringify(o.expect)} is not a regular expression`, { expect: o.expect });
  const bus = o.diskBus;
  if (bus !== undefined && bus !== 'virtio' && bus !== 'sata' && bus !== 'nvme') throw new RackcastError('RC_ERR_BAD_REQUEST', `--disk-bus must be virtio, sata or nvme, not ${JSON.stringify(bus)}`, {});
  const timeoutS = positiveNumber(o.timeout, 'timeout') ?? DEFAULT_TIMEOUT_MS / 1000;
  const memMiB = positiveNumber(o.memory, 'memory');
  const interrupt = interruptible();
  try {
    const report = await trialBoot({
      label: ref,
      exportTo: async (out) => (await client.exportImage(name, selector, out, false)).version,
      timeoutMs: timeoutS * 1000,
      signal: interrupt.signal,
      onStep: (line) => process.stderr.write(`${line}\n`),
      ...(expect ? { expect } : {}),
      ...(o.uefi ? { firmware: 'uefi' as const } : o.bios ? { firmware: 'bios' as const } : {}),
      ...(bus ? { bus: bus as DiskBus } : {}),
      ...(memMiB ? { memMiB: Math.round(memMiB) } : {}),
    });
    print(o.json ?? false, report, () => describeTrial(report));
    return 0;
  } catch (err) {
    if (!(err instanceof RackcastError) || !err.code.startsWith('RC_ERR_TRIAL_')) throw err;
    // The console tail travels in the details: --json callers get it as data, not prose.
    if (o.json) process.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message, details: err.details } }, null, 2)}\n`);
    process.stderr.write(`rackcast: ${err.code}: ${err.message}\n`);
    return hasCode(err, 'RC_ERR_TRIAL_CANCELLED') ? EXIT_INTERRUPTED : 1;
  } finally {
    interrupt.release();
  }
}

/** `rackcast image verify <name>[@<version>] [--boot …]`. */
export function addImageVerifyCommand(image: Command, withStore: WithStore): void {
  image.command('verify <image>')
    .description('check a version (<name>[@<version>]): re-hash its blocks, or with --boot restore it to a scratch disk, boot it in a VM and wait for its console')
    .option('--at <time>', 'the newest version at or before this time (ISO 8601)')
    .option('--boot', 'trial restore: export to a scratch disk, boot it under QEMU (no network), wait for --expect, discard it')
    .option('--expect <regex>', 'console text that proves the boot (default: the golden marker line or a login prompt)')
    .option('--timeout <seconds>', `give up after this long (default ${DEFAULT_TIMEOUT_MS / 1000})`)
    .option('--uefi', 'boot with UEFI firmware (OVMF)')
    .option('--bios', 'boot with BIOS firmware (SeaBIOS)')
    .option('--memory <MiB>', 'VM memory (default 1024)')
    .option('--disk-bus <bus>', 'virtio, sata or nvme (default: as the captured machine had it, else virtio)')
    .option('--json', 'print the result as JSON')
    .action((ref: string, o: VerifyOptions) => withStore(async (client) => {
      const { name, version } = parseImageRef(ref);
      const selector = o.at ? parseTimeSelector(o.at) : version;
      return o.boot ? bootTrial(client, name, selector, ref, o) : verifyBlocks(client, name, selector, ref, o.json ?? false);
    }));
}
