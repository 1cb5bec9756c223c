import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import type { MachineJob } from '@rackcast/wire';
import type { CaptureView } from '../capture/index.js';
import type { RackcastConfig } from '../config/index.js';
import { RackcastError } from '../errors.js';
import { formatBytes, formatTable, print } from './format.js';
import { progressLine } from './progress-line.js';
import { connectServer, type ServerApi } from './server-api.js';

/** How often `rackcast capture <machine>` asks the server where the capture is. */
const POLL_MS = 500;

function describe(c: CaptureView): string {
  const lines = [`capture ${c.id}: ${c.image}${c.machine ? ` from ${c.machine}` : ''}, ${c.state}${c.version !== null ? `, version ${c.version}` : ''}`];
  if (c.offer) {
    const o = c.offer;
    lines.push(`  offer: ${o.kind}${o.baseVersion !== null ? ` against version ${o.baseVersion}` : ''}, ${o.blocks} blocks, ${o.offered} named by hash, ${o.missing} missing` +
      (o.kind === 'delta' ? `, ${o.reused} reused, ${o.dropped} dropped` : ''));
  }
  if (c.job) {
    const j = c.job;
    lines.push(`  job: ${j.stage}${j.disk ? `, disk ${j.disk}` : ''}, ${j.tries} ${j.tries === 1 ? 'boot' : 'boots'}` +
      (j.progress ? `, ${formatBytes(j.progress.bytesDone)} of ${formatBytes(j.progress.bytesTotal)}` : '') + (j.failure ? `; failed: ${j.failure.code}: ${j.failure.message}` : ''));
  }
  lines.push(`  uploaded: ${c.uploads.blocks} blocks (${formatBytes(c.uploads.bytes)} of frames), ${c.uploads.duplicates} re-sent, ${c.uploads.refused} refused; ` +
    `protocol: ${c.wire.offers} offers (${formatBytes(c.wire.offerBytes)}), fingerprints ${formatBytes(c.wire.fingerprintBytes)}`);
  return lines.join('\n');
}

/** `rackcast capture …`: capture a machine's disk into a new version of an image (needs a running server). */
export function addCaptureCommands(program: Command, loadConfig: () => Readonly<RackcastConfig>): void {
  const capture = program.command('capture')
    .description('capture a machine\'s disk (used blocks only) as a new version of an image')
    .usage('<machine> --image <name> [--disk <serial>] [--no-wait] [--timeout <minutes>] [--json]\n       rackcast capture start|list|show|cancel …')
    .argument('[machine]', 'MAC of the machine (or a host name one of its captures recorded); it captures as its next job')
    // The machine form's options are parsed by captureJobCommand: declared here, commander would
    // also take them from behind a subcommand's name (`capture start --image x`).
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText('after', () => `\nrackcast capture <machine> options:\n${captureJobCommand().helpInformation().split('Options:\n')[1] ?? ''}`)
    .action((_machine: string | undefined, _o: unknown, cmd: Command) => (async () => {
      if (cmd.args.length === 0) {
        capture.help();
        return;
      }
      const parsed = captureJobCommand().parse(cmd.args, { from: 'user' });
      const machine = parsed.args[0] as string;
      const o = parsed.opts<CaptureJobFlags>();
      process.exitCode = await captureMachine(await connectServer(loadConfig()), machine, o);
    })());

  capture.command('start')
    .description('start a capture and print its token; give the token to the agent (rackcast-agent capture --token …)')
    .requiredOption('--image <name>', 'image the captured version is added to (created by the first capture)')
    .option('--machine <mac>', 'the machine being captured, recorded with the version')
    .option('--json', 'print as JSON')
    .action((o: { image: string; machine?: string; json?: boolean }) => (async () => {
      const api = await connectServer(loadConfig());
      const created = await api.call<{ capture: CaptureView; token: string }>('POST', '/api/captures', { image: o.image, ...(o.machine ? { machine: o.machine } : {}) });
      print(o.json ?? false, created, () => `${describe(created.capture)}\ntoken:\n${created.token}`);
    })());

  capture.command('list')
    .description('captures and their state')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => (async () => {
      const { captures } = await (await connectServer(loadConfig())).call<{ captures: CaptureView[] }>('GET', '/api/captures');
      print(o.json ?? false, captures, () => formatTable(['CAPTURE', 'IMAGE', 'MACHINE', 'STATE', 'VERSION', 'OFFER', 'UPLOADED'],
        captures.map((c) => [String(c.id), c.image, c.machine ?? '-', c.state, c.version === null ? '-' : String(c.version), c.offer?.kind ?? '-',
          `${c.uploads.blocks} blocks, ${formatBytes(c.uploads.bytes)}`])));
    })());

  capture.command('show <id>')
    .description('one capture: its offer, uploads and protocol bytes')
    .option('--json', 'print as JSON')
    .action((id: string, o: { json?: boolean }) => (async () => {
      const { capture: c } = await (await connectServer(loadConfig())).call<{ capture: CaptureView }>('GET', `/api/captures/${encodeURIComponent(id)}`);
      print(o.json ?? false, c, () => describe(c));
    })());

  capture.command('cancel <id>')
    .description('stop a capture; its token stops working and blocks it stored go with `store gc`')
    .option('--json', 'print as JSON')
    .action((id: string, o: { json?: boolean }) => (async () => {
      const { capture: c } = await (await connectServer(loadConfig())).call<{ capture: CaptureView }>('DELETE', `/api/captures/${encodeURIComponent(id)}`);
      print(o.json ?? false, c, () => describe(c));
    })());
}

/** The options of `rackcast capture <machine>`, parsed on their own (see addCaptureCommands). */
function captureJobCommand(): Command {
  return new Command('rackcast capture')
    .argument('<machine>')
    // `capture <machine> --help` is answered by the command group's help, which lists these.
    .helpOption(false)
    .requiredOption('--image <name>', 'image the captured version is added to (created by the first capture)')
    .option('--disk <serial>', 'the disk to capture by serial, WWN or kernel name (default: the machine\'s only fixed disk)')
    .option('--no-wait', 'queue the job and return; follow it with `rackcast capture show <id>`')
    .option('--timeout <minutes>', 'stop waiting after this long (the capture goes on)', (v) => Number.parseFloat(v), 120)
    .option('--json', 'print {"capture": …, "job": …} as JSON when the capture ends (or is queued, with --no-wait)')
    .exitOverride((err) => {
      throw new RackcastError('RC_ERR_BAD_REQUEST', `${err.message.replace(/^error: /, '')}; usage: rackcast capture <machine> --image <name> [--disk <serial>] [--no-wait] [--json]`);
    })
    .configureOutput({ writeErr: () => undefined });
}

interface CaptureJobFlags {
  image: string;
  disk?: string;
  wait: boolean;
  timeout: number;
  json?: boolean;
}

/** What the stage means for the person waiting, e.g. "hashing 120 MB of 400 MB". */
function stageText(c: CaptureView): string {
  const j = c.job;
  if (j === null) return c.state;
  if (j.stage === 'queued') return `queued on ${c.machine ?? '?'}: waiting for its agent (network-boot the machine if it is not in standby)`;
  return j.stage + (j.stage === 'uploading' && c.offer ? ` ${c.offer.missing} blocks the store lacks (${c.offer.kind} offer of ${c.offer.blocks})` : '');
}

/**
 * `rackcast capture <machine> --image <name>`: queues the capture job, then follows it until the
 * version is committed or the capture fails. Prints a progress line on a terminal and one line per
 * stage otherwise; --json prints {"capture", "job"} at the end. Returns the exit code: 0
 * committed (or queued with --no-wait), 1 failed or cancelled.
 */
async function captureMachine(api: ServerApi, machine: string, o: CaptureJobFlags): Promise<number> {
  const started = await api.call<{ capture: CaptureView; job: MachineJob }>('POST', `/api/machines/${encodeURIComponent(machine)}/capture`,
    { image: o.image, ...(o.disk ? { disk: o.disk } : {}) });
  const id = started.capture.id;
  const say = (line: string): void => { process.stderr.write(`capture ${id}: ${line}\n`); };
  if (!o.wait) {
    print(o.json ?? false, started, () => `${describe(started.capture)}\nqueued as job ${started.job.id} of ${started.capture.machine ?? machine}; follow it with \`rackcast capture show ${id}\``);
    return 0;
  }
  if (!o.json) say(stageText(started.capture));
  const deadline = Date.now() + o.timeout * 60_000;
  let view = started.capture;
  let shown = stageText(view);
  let bar: ReturnType<typeof progressLine> | null = null;
  while (view.state === 'waiting' || view.state === 'uploading') {
    if (Date.now() > deadline) {
      bar?.done();
      throw new RackcastError('RC_ERR_CAPTURE_TIMEOUT', `capture ${id} did not end within ${o.timeout} minutes; it goes on: \`rackcast capture show ${id}\` follows it, \`rackcast capture cancel ${id}\` stops it`);
    }
    await sleep(POLL_MS);
    view = (await api.call<{ capture: CaptureView }>('GET', `/api/captures/${id}`)).capture;
    const text = stageText(view);
    if (text !== shown) {
      bar?.done();
      bar = null;
      shown = text;
      if (!o.json) say(text);
    }
    const progress = view.job?.progress;
    if (progress && !o.json) {
      bar ??= progressLine(`capture ${id} ${view.job?.stage ?? ''}`);
      bar.update({ done: progress.bytesDone, total: progress.bytesTotal });
    }
  }
  bar?.done();
  const result = { capture: view, job: started.job };
  print(o.json ?? false, result, () => view.state === 'committed'
    ? `${describe(view)}\ncaptured ${view.machine ?? machine} as ${view.image} version ${view.version ?? '?'}`
    : `${describe(view)}\ncapture ${id} ${view.state}${view.job?.failure ? `: ${view.job.failure.code}: ${view.job.failure.message}` : ''}`);
  return view.state === 'committed' ? 0 : 1;
}
