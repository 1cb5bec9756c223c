import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MachineProfile } from '@rackcast/wire';
import type { sessionSummary } from '../api/index.js';
import type { MachineSummary } from '../machine/index.js';
import { sessionEventView } from './dashboard-feed.js';
import { machineRow } from './machine-row.js';

const profile = {
  schema: 1, detectedAt: '2026-01-01T00:00:00.000Z',
  system: { uuid: 'u', serial: 'CZJ1', vendor: 'Dell Inc.', model: 'PowerEdge R640', boardVendor: '', boardModel: '', boardSerial: '', chassisType: '23', chassisSerial: '', assetTag: '' },
  firmware: { mode: 'uefi', vendor: '', version: '', date: '', secureBoot: null },
  cpu: { vendor: '', model: '', architecture: 'x86_64', sockets: 2, cores: 40, threads: 80, mhz: 0 },
  memory: { totalBytes: 2 ** 34 },
  disks: [{ name: 'sda', sizeBytes: 1e12, logicalBlockSize: 512, physicalBlockSize: 4096, rotational: false, removable: false, readOnly: false, model: '', vendor: '', serial: 's', wwn: '', transport: 'sata', sysfsPath: '' },
    { name: 'sdb', sizeBytes: 8e12, logicalBlockSize: 512, physicalBlockSize: 4096, rotational: true, removable: false, readOnly: false, model: '', vendor: '', serial: 't', wwn: '', transport: 'sata', sysfsPath: '' }],
  nics: [], problems: [],
} satisfies MachineProfile;

const machine: MachineSummary = {
  mac: '52:54:00:00:00:01', state: 'deploying', online: true, firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:01:00.000Z',
  profile, profileAt: '2026-01-01T00:00:30.000Z', agentVersion: '0.1.0', lastBoot: null,
  job: { id: 3, action: 'deploy', setAt: '2026-01-01T00:00:40.000Z', deploy: { sessionId: 7, token: '', plan: null as never } },
  events: [{ at: '2026-01-01T00:00:10.000Z', event: 'boot', detail: 'agent' }, { at: '2026-01-01T00:00:40.000Z', event: 'job', detail: 'deploy session 7' }],
};

test('a machine row carries what the table shows: model, CPUs, memory, disk sizes, job and its session, the last event', () => {
  assert.deepEqual(machineRow(machine), {
    mac: '52:54:00:00:00:01', state: 'deploying', online: true, firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:01:00.000Z',
    model: 'Dell Inc. PowerEdge R640', serial: 'CZJ1', firmware: 'uefi', cpus: 80, memoryBytes: 2 ** 34, disks: [1e12, 8e12],
    job: 'deploy', jobSession: 7, lastEvent: { at: '2026-01-01T00:00:40.000Z', event: 'job', detail: 'deploy session 7' },
  });
});

test('a machine without a profile yet has empty fields, not missing ones', () => {
  const row = machineRow({ ...machine, profile: null, job: { id: 1, action: 'wait', setAt: machine.firstSeen }, events: [] });
  assert.deepEqual([row.model, row.serial, row.firmware, row.cpus, row.memoryBytes, row.disks, row.jobSession, row.lastEvent], ['', '', '', 0, 0, [], null, null]);
});

test('session events leave out each member\'s plan and reasons, and keep its progress and failure', () => {
  const member = { mac: 'm', index: 1, hostname: 'h', state: 'failed', bytesDone: 5, bytesTotal: 10, rate: 0, etaSeconds: null, repairs: 2, failure: { code: 'RC_ERR_X', message: 'why' }, tries: [], plan: { schema: 1 }, reasons: ['because'] };
  const view = { id: 1, phase: 'transfer', receivers: [], deploy: { mode: 'machines', count: 1, members: [member] } } as unknown as ReturnType<typeof sessionSummary>;
  const sent = sessionEventView(view);
  assert.deepEqual(sent.deploy?.members[0], { ...member, plan: null, reasons: [] });
  assert.equal(view.deploy?.members[0]?.plan !== null, true, 'the registry\'s view is not changed');
  const plain = { ...view, deploy: null };
  assert.equal(sessionEventView(plain), plain);
});
