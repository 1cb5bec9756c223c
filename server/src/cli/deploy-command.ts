import type { Command } from 'commander';
import type { DeployPlan } from '@rackcast/wire';
import type { RackcastConfig } from '../config/index.js';
import type { DeployView, ImageFacts, PlanResult } from '../deploy/index.js';
import { RackcastError } from '../errors.js';
import { formatBytes, formatTable } from './format.js';
import { connectServer } from './server-api.js';
import { watchSession } from './session-watch.js';

interface DeployOptions {
  machines?: string;
  count?: number;
  at?: string;
  rate?: string;
  hostnamePattern?: string;
  nics?: string;
  static?: string;
  gateway?: string;
  dns?: string;
  dryRun?: boolean;
  watch?: boolean;
  json?: boolean;
}

interface DryRunAnswer {
  readonly facts: ImageFacts;
  readonly members: readonly { mac: string; index: number; result: PlanResult | null; note: string }[];
}

interface CreatedAnswer {
  readonly session: { id: number; image: string; version: number; group: string; port: number; deploy: DeployView };
}

/** The plan as indented lines: disk, layout, personalisation. */
export function describePlan(plan: DeployPlan): string[] {
  const t = plan.target;
  const fit = plan.layout.resizePartition === null ? 'layout kept' : `partition ${plan.layout.resizePartition} (${plan.layout.filesystem}) fitted to the disk`;
  const p = plan.personalise;
  return [
    `  disk: ${t.nameHint} ${formatBytes(t.sizeBytes)} serial ${t.serial || '-'} wwn ${t.wwn || '-'}; untouched: ${plan.untouched.map((d) => d.nameHint).join(', ') || 'none'}`,
    `  layout: ${fit}; root partition ${p.rootPartition ?? 'none'}`,
    `  personalise: hostname ${p.hostname}; ${p.nics.map((n) => `${n.mac} ${n.mode}`).join(', ')}; new machine-id ${p.newMachineId ? 'yes' : 'no'}; ` +
      `host keys ${p.removeSshHostKeys ? 'regenerated' : 'kept'}; UEFI entry ${p.uefiBootEntry ? `${p.uefiBootEntry.label} → ${p.uefiBootEntry.loader}` : 'none'}`,
  ];
}

function describeDryRun(answer: DryRunAnswer): string {
  const f = answer.facts;
  const head = [
    `${f.name}@${f.version}: ${formatBytes(f.diskBytes)} disk, used to ${formatBytes(f.usedEndBytes)}, ${f.table} with ` +
      (f.partitions.map((p) => `${p.number}:${p.kind}${p.filesystem !== 'unknown' ? `/${p.filesystem}` : ''}${p.label ? `"${p.label}"` : ''}`).join(' ') || 'no partitions'),
    ...f.notes.map((n) => `note: ${n}`),
  ];
  const members = answer.members.flatMap((m) => {
    if (m.result === null) return [`machine ${m.index} ${m.mac}: ${m.note}`];
    if (!m.result.ok) return [`machine ${m.index} ${m.mac}: REFUSED ${m.result.refusal.code}: ${m.result.refusal.message}`];
    return [`machine ${m.index} ${m.mac}: ${m.result.plan.personalise.hostname}`, ...describePlan(m.result.plan), ...m.result.reasons.map((r) => `  why: ${r}`)];
  });
  return [...head, ...(members.length > 0 ? members : ['machines are chosen as they boot: each is planned then']), 'dry run: nothing was changed'].join('\n');
}

function describeCreated(answer: CreatedAnswer): string {
  const s = answer.session;
  const d = s.deploy;
  const rows = d.members.map((m) => [String(m.index), m.mac, m.hostname ?? '-', m.state, m.plan ? `${m.plan.target.nameHint} ${formatBytes(m.plan.target.sizeBytes)}` : '-', m.failure ? `${m.failure.code}: ${m.failure.message}` : '']);
  return [
    `deploy session ${s.id}: ${s.image}@${s.version} over ${s.group}:${s.port}, ${d.count} machines${d.open > 0 ? ` (${d.open} taken as they boot)` : ''}`,
    ...(rows.length > 0 ? [formatTable(['#', 'MAC', 'HOSTNAME', 'STATE', 'DISK', 'FAILURE'], rows)] : []),
    `watch it: rackcast session watch ${s.id}`,
  ].join('\n');
}

/** `rackcast deploy <image>[@<version>] --machines <mac,...> | --count N`: a deploy session on the running server. */
export function addDeployCommand(program: Command, loadConfig: () => Readonly<RackcastConfig>): void {
  program.command('deploy <image>')
    .description('restore <name>[@<version>] onto machines over multicast: each is planned from its profile, written, verified, fitted, personalised and rebooted from disk')
    .option('--machines <macs>', 'comma-separated boot MACs of the machines')
    .option('--count <n>', 'or: the next N machines that network-boot', (v) => Number.parseInt(v, 10))
    .option('--at <time>', 'the newest version at or before this time (ISO 8601)')
    .option('--rate <rate>', 'stream rate, e.g. 950mbit (default: config multicast.rate)')
    .option('--hostname-pattern <pattern>', 'clone host names: {n} (1-based index), {mac}, {serial}, {image}; default {image}-{n}')
    .option('--nics <policy>', 'boot-dhcp (DHCP on the NIC it booted from; default) or all-dhcp')
    .option('--static <cidr>', 'static address on each clone\'s boot NIC instead of DHCP: the first machine\'s, e.g. 10.0.1.21/24; machine n gets the n-th')
    .option('--gateway <ip>', 'with --static: the default gateway')
    .option('--dns <ips>', 'with --static: comma-separated DNS servers')
    .option('--dry-run', 'print the plans and change nothing')
    .option('--watch', 'then follow it like `session watch` until every machine is done or failed')
    .option('--json', 'print the API answer as JSON')
    .action(async (image: string, o: DeployOptions) => {
      if ((o.machines === undefined) === (o.count === undefined)) throw new RackcastError('RC_ERR_BAD_REQUEST', 'give --machines <mac,...> or --count <n>');
      const body = {
        image, ...(o.machines ? { machines: o.machines.split(',').map((m) => m.trim()).filter(Boolean) } : {}), ...(o.count !== undefined ? { count: o.count } : {}),
        ...(o.at ? { at: o.at } : {}), ...(o.rate ? { rate: o.rate } : {}), ...(o.hostnamePattern ? { hostnamePattern: o.hostnamePattern } : {}),
        ...(o.nics ? { nics: o.nics } : {}), ...(o.dryRun ? { dryRun: true } : {}),
        ...(o.static ? { static: { first: o.static, ...(o.gateway ? { gateway: o.gateway } : {}), ...(o.dns ? { dns: o.dns.split(',').map((d) => d.trim()).filter(Boolean) } : {}) } } : {}),
      };
      if (!o.static && (o.gateway || o.dns)) throw new RackcastError('RC_ERR_BAD_REQUEST', '--gateway and --dns go with --static <first-address/prefix>');
      const api = await connectServer(loadConfig());
      if (o.dryRun) {
        const answer = await api.call<DryRunAnswer>('POST', '/api/deploys', body);
        process.stdout.write(o.json ? `${JSON.stringify(answer, null, 2)}\n` : `${describeDryRun(answer)}\n`);
        return;
      }
      const created = await api.call<CreatedAnswer>('POST', '/api/deploys', body);
      if (!o.watch) {
        process.stdout.write(o.json ? `${JSON.stringify(created, null, 2)}\n` : `${describeCreated(created)}\n`);
        return;
      }
      if (!o.json) process.stdout.write(`${describeCreated(created)}\n`);
      process.exitCode = await watchSession(loadConfig(), String(created.session.id), { json: o.json ?? false });
    });
}
