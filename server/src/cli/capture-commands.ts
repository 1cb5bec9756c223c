import type { Command } from 'commander';
import type { CaptureView } from '../capture/index.js';
import type { RackcastConfig } from '../config/index.js';
import { formatBytes, formatTable } from './format.js';
import { connectServer } from './server-api.js';

function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

function describe(c: CaptureView): string {
  const lines = [`capture ${c.id}: ${c.image}${c.machine ? ` from ${c.machine}` : ''}, ${c.state}${c.version !== null ? `, version ${c.version}` : ''}`];
  if (c.offer) {
    const o = c.offer;
    lines.push(`  offer: ${o.kind}${o.baseVersion !== null ? ` against version ${o.baseVersion}` : ''}, ${o.blocks} blocks, ${o.offered} named by hash, ${o.missing} missing` +
      (o.kind === 'delta' ? `, ${o.reused} reused, ${o.dropped} dropped` : ''));
  }
  lines.push(`  uploaded: ${c.uploads.blocks} blocks (${formatBytes(c.uploads.bytes)} of frames), ${c.uploads.duplicates} re-sent, ${c.uploads.refused} refused; ` +
    `protocol: ${c.wire.offers} offers (${formatBytes(c.wire.offerBytes)}), fingerprints ${formatBytes(c.wire.fingerprintBytes)}`);
  return lines.join('\n');
}

/** `rackcast capture …`: capture a machine's disk into a new version of an image (needs a running server). */
export function addCaptureCommands(program: Command, loadConfig: () => Readonly<RackcastConfig>): void {
  const capture = program.command('capture').description('capture a machine\'s disk (used blocks only) as a new version of an image');

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
