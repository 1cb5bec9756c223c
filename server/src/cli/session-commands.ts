import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RackcastConfig } from '../config/index.js';
import type { SessionRecord } from '../session/index.js';
import { formatBytes, formatTable, print } from './format.js';
import { connectServer } from './server-api.js';
import { watchSession } from './session-watch.js';

type Summary = Omit<SessionRecord, 'key' | 'tokens' | 'receivers'> & { tokensLeft: number; receivers: { id: string; state: string; straggler: boolean; failure: { code: string; message: string } | null; progress: { blocksDone: number; blocksTotal: number } | null; backfilledBlocks: number }[] };

function describe(s: Summary): string {
  const head = `session ${s.id}: ${s.image}@${s.version} ${s.phase}, pass ${s.pass}, ${s.blockCount} blocks (${formatBytes(s.bytesTotal)}), group ${s.group}:${s.port}, ` +
    `${s.fragmentsSent} datagrams sent (${s.repairFragments} repairs, ${s.inPassRepairFragments ?? 0} of them in-pass)`;
  const rows = s.receivers.map((r) => [r.id, r.state + (r.straggler ? ' (straggler)' : ''), r.progress ? `${r.progress.blocksDone}/${r.progress.blocksTotal}` : '-',
    String(r.backfilledBlocks), r.failure ? `${r.failure.code}: ${r.failure.message}` : '']);
  return rows.length ? `${head}\n${formatTable(['RECEIVER', 'STATE', 'BLOCKS', 'BACKFILLED', 'FAILURE'], rows)}` : head;
}

/** `rackcast session …`: multicast deploy streams on the running server. */
export function addSessionCommands(program: Command, loadConfig: () => Readonly<RackcastConfig>, run: (work: () => Promise<unknown>) => Promise<void>): void {
  const session = program.command('session').description('multicast streams of an image version to many machines');

  session.command('start <image>')
    .description('stream <name>[@<version>] to machines; prints the session and one receiver token per expected machine')
    .requiredOption('--expect <n>', 'machines to wait for before streaming', (v) => Number.parseInt(v, 10))
    .option('--at <time>', 'the newest version at or before this time')
    .option('--rate <rate>', 'wire rate, e.g. 950mbit (default: config multicast.rate)')
    .option('--group <address>', 'multicast group (default: from config groupBase)')
    .option('--port <port>', 'UDP port', (v) => Number.parseInt(v, 10))
    .option('--iface <address>', 'local IPv4 address to send from (default: config multicast.interface)')
    .option('--datagram-size <bytes>', 'UDP payload per datagram (8972 for jumbo frames)', (v) => Number.parseInt(v, 10))
    .option('--wait', 'wait until the multicast part has ended, then print the session')
    .option('--json', 'print as JSON')
    .action((image: string, o: { expect: number; at?: string; rate?: string; group?: string; port?: number; iface?: string; datagramSize?: number; wait?: boolean; json?: boolean }) => run(async () => {
      const api = await connectServer(loadConfig());
      const created = await api.call<{ session: Summary; tokens: string[] }>('POST', '/api/sessions', {
        image, expect: o.expect, ...(o.at ? { at: o.at } : {}), ...(o.rate ? { rate: o.rate } : {}), ...(o.group ? { group: o.group } : {}),
        ...(o.port ? { port: o.port } : {}), ...(o.iface ? { interface: o.iface } : {}), ...(o.datagramSize ? { datagramSize: o.datagramSize } : {}),
      });
      if (!o.wait) {
        print(o.json ?? false, created, () => `${describe(created.session)}\ntokens:\n${created.tokens.join('\n')}`);
        return;
      }
      // Tokens go out first, so a script can hand them to receivers while this waits.
      if (!o.json) process.stdout.write(`session ${created.session.id}\ntokens:\n${created.tokens.join('\n')}\n`);
      let s = created.session;
      for (let i = 0; i < 24 * 3600 * 4 && (s.phase === 'waiting' || s.phase === 'transfer'); i++) {
        await sleep(250);
        s = (await api.call<{ session: Summary }>('GET', `/api/sessions/${s.id}`)).session;
      }
      print(o.json ?? false, { session: s, tokens: created.tokens }, () => describe(s));
    }));

  session.command('list')
    .description('sessions and their phase')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => run(async () => {
      const { sessions } = await (await connectServer(loadConfig())).call<{ sessions: Summary[] }>('GET', '/api/sessions');
      print(o.json ?? false, sessions, () => formatTable(['SESSION', 'IMAGE', 'PHASE', 'PASS', 'RECEIVERS', 'GROUP'],
        sessions.map((s) => [String(s.id), `${s.image}@${s.version}`, s.phase, String(s.pass), String(s.receivers.length), `${s.group}:${s.port}`])));
    }));

  session.command('show <id>')
    .description('one session with every receiver\'s state and failure')
    .option('--json', 'print as JSON')
    .action((id: string, o: { json?: boolean }) => run(async () => {
      const { session: s } = await (await connectServer(loadConfig())).call<{ session: Summary }>('GET', `/api/sessions/${encodeURIComponent(id)}`);
      print(o.json ?? false, s, () => describe(s));
    }));

  session.command('watch <id>')
    .description('live progress of a session: one bar per machine (state, %, MB/s, ETA, repairs) until it is over; exit 0 when every machine is done')
    .option('--json', 'print each update as one JSON line (the session as GET /api/sessions/<id> shows it)')
    .action((id: string, o: { json?: boolean }) => run(async () => {
      process.exitCode = await watchSession(loadConfig(), id, { json: o.json ?? false });
    }));

  session.command('token <id>')
    .description('issue receiver tokens for more machines (late joiners)')
    .option('--count <n>', 'how many', (v) => Number.parseInt(v, 10), 1)
    .option('--json', 'print as JSON')
    .action((id: string, o: { count: number; json?: boolean }) => run(async () => {
      const r = await (await connectServer(loadConfig())).call<{ tokens: string[] }>('POST', `/api/sessions/${encodeURIComponent(id)}/tokens`, { count: o.count });
      print(o.json ?? false, r, () => r.tokens.join('\n'));
    }));

  session.command('cancel <id>')
    .description('stop a session; its receivers are told and stop')
    .option('--json', 'print as JSON')
    .action((id: string, o: { json?: boolean }) => run(async () => {
      const { session: s } = await (await connectServer(loadConfig())).call<{ session: Summary }>('DELETE', `/api/sessions/${encodeURIComponent(id)}`);
      print(o.json ?? false, s, () => describe(s));
    }));
}
