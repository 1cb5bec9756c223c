import type { Command } from 'commander';
import { MACHINE_JOB_ACTIONS, type MachineJobAction } from '@rackcast/wire';
import type { RackcastConfig } from '../config/index.js';
import { RackcastError } from '../errors.js';
import type { MachineSummary } from '../machine/index.js';
import { formatBytes, formatTable, print } from './format.js';
import { connectServer } from './server-api.js';

function model(m: MachineSummary): string {
  const s = m.profile?.system;
  return s ? [s.vendor, s.model].filter(Boolean).join(' ') || '-' : '-';
}

function listRow(m: MachineSummary): string[] {
  const p = m.profile;
  return [
    m.mac, m.state + (m.online ? '' : ' (offline)'), m.job.action, p?.system.uuid || '-', model(m),
    p ? String(p.cpu.threads) : '-', p ? formatBytes(p.memory.totalBytes) : '-',
    p ? p.disks.map((d) => `${d.name} ${formatBytes(d.sizeBytes)}`).join(', ') || 'none' : '-', m.lastSeen,
  ];
}

/** One machine in full: identity, firmware, hardware, job and recent events. */
function describe(m: MachineSummary): string {
  const p = m.profile;
  const head = [
    `machine ${m.mac}: ${m.state}${m.online ? ', agent connected' : ''}; job ${m.job.id}: ${m.job.action} (set ${m.job.setAt})`,
    `first seen ${m.firstSeen}, last seen ${m.lastSeen}` + (m.lastBoot ? `; last boot ${m.lastBoot.at} (${m.lastBoot.platform || '?'} ${m.lastBoot.buildarch || '?'})` : ''),
  ];
  if (p === null) return [...head, 'no profile yet (the agent has not registered)'].join('\n');
  const s = p.system;
  const lines = [
    ...head,
    `system: ${model(m)}, serial ${s.serial || '-'}, uuid ${s.uuid || '-'}; board ${[s.boardVendor, s.boardModel].filter(Boolean).join(' ') || '-'}`,
    `firmware: ${p.firmware.mode}${p.firmware.secureBoot === true ? ' (Secure Boot on)' : ''}, ${[p.firmware.vendor, p.firmware.version, p.firmware.date].filter(Boolean).join(' ') || '-'}`,
    `cpu: ${p.cpu.model || p.cpu.vendor || '-'}; ${p.cpu.sockets} sockets, ${p.cpu.cores} cores, ${p.cpu.threads} threads; memory ${formatBytes(p.memory.totalBytes)}`,
    formatTable(['DISK', 'SIZE', 'MODEL', 'SERIAL', 'WWN', 'TRANSPORT'], p.disks.map((d) => [d.name, formatBytes(d.sizeBytes), d.model || '-', d.serial || '-', d.wwn || '-', d.transport || '-'])),
    formatTable(['NIC', 'MAC', 'DRIVER', 'SPEED', 'LINK', 'ADDRESSES'], p.nics.map((n) => [
      n.name, n.mac || '-', n.driver || '-', n.speedMbps === null ? '-' : `${n.speedMbps} Mb/s`, n.carrier === null ? n.operstate : n.carrier ? 'up' : 'down', n.addresses.join(' ') || '-',
    ])),
    ...p.problems.map((x) => `problem: ${x}`),
    'recent events:',
    ...m.events.slice(-10).map((e) => `  ${e.at} ${e.event}${e.detail ? `: ${e.detail}` : ''}`),
  ];
  return lines.join('\n');
}

function parseAction(text: string): MachineJobAction {
  if (!(MACHINE_JOB_ACTIONS as readonly string[]).includes(text)) {
    throw new RackcastError('RC_ERR_BAD_REQUEST', `unknown job "${text}"; one of ${MACHINE_JOB_ACTIONS.join(', ')}`);
  }
  return text as MachineJobAction;
}

/** `rackcast machine …`: machines the running server knows (they register from the preboot agent). */
export function addMachineCommands(program: Command, loadConfig: () => Readonly<RackcastConfig>): void {
  const machine = program.command('machine').description('machines that network-booted here: profiles, states and jobs');
  const api = () => connectServer(loadConfig());

  machine.command('list')
    .description('every machine with its state, job and hardware summary')
    .option('--json', 'print as JSON, as GET /api/machines answers: {"machines": [...]}, profiles included')
    .action(async (o: { json?: boolean }) => {
      const { machines } = await (await api()).call<{ machines: MachineSummary[] }>('GET', '/api/machines');
      print(o.json ?? false, { machines }, () => formatTable(['MAC', 'STATE', 'JOB', 'UUID', 'MODEL', 'CPUS', 'MEMORY', 'DISKS', 'LAST SEEN'], machines.map(listRow)));
    });

  machine.command('show <mac>')
    .description('one machine: identity, firmware, disks, NICs, job and recent events')
    .option('--json', 'print as JSON')
    .action(async (mac: string, o: { json?: boolean }) => {
      const { machine: m } = await (await api()).call<{ machine: MachineSummary }>('GET', `/api/machines/${encodeURIComponent(mac)}`);
      print(o.json ?? false, m, () => describe(m));
    });

  machine.command('job <mac> <action>')
    .description(`set what a machine does next: ${MACHINE_JOB_ACTIONS.join(', ')} (a connected agent gets it at once)`)
    .option('--json', 'print the machine as JSON')
    .action(async (mac: string, action: string, o: { json?: boolean }) => {
      const body = { action: parseAction(action) };
      const { machine: m } = await (await api()).call<{ machine: MachineSummary }>('PUT', `/api/machines/${encodeURIComponent(mac)}/job`, body);
      print(o.json ?? false, m, () => `machine ${m.mac}: job ${m.job.id}: ${m.job.action}${m.online ? ' (sent to the agent)' : ' (the machine gets it when its agent connects)'}`);
    });
}
