import type { Command } from 'commander';
import type { RackcastConfig } from '../config/index.js';
import { RackcastError } from '../errors.js';
import type { RestoreView } from '../restore/index.js';
import { describePlan } from './deploy-command.js';
import { formatTable } from './format.js';
import { connectServer } from './server-api.js';
import { watchSession } from './session-watch.js';

interface RestoreOptions {
  image?: string;
  at?: string;
  version?: string;
  onto?: string;
  rate?: string;
  dryRun?: boolean;
  watch: boolean;
  json?: boolean;
}

/** The answer of POST /api/restores (dry run or start) and GET /api/restores/:id. */
export interface RestoreAnswer {
  readonly restore: RestoreView;
}

const SEVERITY = { info: 'info', adapt: 'ADAPT', refuse: 'REFUSE' } as const;

/** The technician's view before a restore starts: what comes back, the differences, the NIC map and the plan. */
export function describeRestore(r: RestoreView): string {
  const lines = [
    `restore ${r.source.hostname || r.source.machine} from ${r.image}@${r.version} (captured ${r.capturedAt}) onto ${r.target.mac}` +
      `${r.target.mac === r.source.mac ? ' (the same machine)' : ''}`,
  ];
  if (!r.target.seen) return [...lines, r.note].join('\n');
  if (r.diff.length > 0) {
    lines.push('', formatTable(['', 'AREA', 'SOURCE', 'TARGET', 'WHAT HAPPENS'], r.diff.map((d) => [SEVERITY[d.severity], d.area, d.source, d.target, d.message])));
  } else {
    lines.push('', 'no hardware differences');
  }
  if (r.nicMap.length > 0) {
    lines.push('', formatTable(['INTERFACE', 'CAPTURED MAC', 'TARGET NIC', 'HOW', 'SETTINGS'], r.nicMap.map((m) => [
      `${m.interface} (${m.source})`, m.sourceMac || '-', m.targetMac ?? '-', m.match,
      m.mode === 'static' ? `static ${m.address}${m.gateway ? ` gw ${m.gateway}` : ''}${m.dns.length ? ` dns ${m.dns.join(',')}` : ''}` : 'dhcp',
    ])));
  }
  if (r.refused !== null) return [...lines, '', `REFUSED ${r.refused.code}: ${r.refused.message}`].join('\n');
  if (r.plan !== null) lines.push('', 'plan:', ...describePlan(r.plan), ...r.reasons.map((why) => `  why: ${why}`));
  return lines.join('\n');
}

function requestBody(machine: string, o: RestoreOptions): Record<string, unknown> {
  if (o.at !== undefined && o.version !== undefined) throw new RackcastError('RC_ERR_BAD_REQUEST', 'give --at <time> or --version <n>, not both');
  const version = o.version === undefined ? undefined : Number(o.version);
  if (version !== undefined && (!Number.isInteger(version) || version < 1)) throw new RackcastError('RC_ERR_BAD_REQUEST', `--version ${o.version} is not a version number`);
  return {
    machine, ...(o.image ? { image: o.image } : {}), ...(o.at ? { at: o.at } : {}), ...(version !== undefined ? { version } : {}),
    ...(o.onto ? { onto: o.onto } : {}), ...(o.rate ? { rate: o.rate } : {}),
  };
}

/**
 * `rackcast restore <machine> [--at TIME | --version N] [--onto MAC] [--dry-run]`: brings a
 * machine back to a captured point in time, onto itself or a replacement. Shows the profile
 * diff and the plan first (a dry run on the server), then starts and follows the deploy.
 */
export function addRestoreCommand(program: Command, loadConfig: () => Readonly<RackcastConfig>): void {
  program.command('restore <machine>')
    .description('bring a machine (boot MAC or captured host name) back to a captured version, with its host name, addresses and keys; onto itself or, with --onto, a replacement')
    .option('--image <name>', 'the image its captures went to (default: the image of its latest capture)')
    .option('--at <time>', 'the latest capture at or before this time (ISO 8601)')
    .option('--version <n>', 'this version of the image (one of the machine\'s captures)')
    .option('--onto <mac>', 'the target\'s boot MAC (default: the machine itself); a replacement may have other MACs and another disk')
    .option('--rate <rate>', 'stream rate, e.g. 950mbit (default: config multicast.rate)')
    .option('--dry-run', 'print the profile diff, the NIC map and the plan, and change nothing')
    .option('--no-watch', 'return once started instead of following the deploy')
    .option('--json', 'print the answers as JSON (one line each): the restore, then with --watch one line per session update')
    .action(async (machine: string, o: RestoreOptions) => {
      const body = requestBody(machine, o);
      const api = await connectServer(loadConfig());
      const out = (text: string) => process.stdout.write(`${text}\n`);
      const planned = await api.call<RestoreAnswer>('POST', '/api/restores', { ...body, dryRun: true });
      if (o.dryRun) {
        out(o.json ? JSON.stringify(planned) : `${describeRestore(planned.restore)}\ndry run: nothing was changed`);
        if (planned.restore.refused !== null) process.exitCode = 1;
        return;
      }
      if (!o.json) out(describeRestore(planned.restore));
      // The server plans again when it starts and refuses then too; stop here to say it once.
      if (planned.restore.refused !== null) {
        if (o.json) out(JSON.stringify(planned));
        process.exitCode = 1;
        return;
      }
      const started = await api.call<RestoreAnswer>('POST', '/api/restores', body);
      const session = started.restore.session;
      if (o.json) out(JSON.stringify(started));
      else out(`\nrestore ${started.restore.id} started: deploy session ${session}${started.restore.target.seen ? '' : '; network-boot the target to begin'}`);
      if (!o.watch || session === null) return;
      process.exitCode = await watchSession(loadConfig(), String(session), { json: o.json ?? false });
    });
}
