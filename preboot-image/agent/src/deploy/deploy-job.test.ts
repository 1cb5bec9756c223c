import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { DeployJobSpec, DeployPlan, DeployStatusMessage, DiskProfile, MachineProfile } from '@rackcast/wire';
import { DeployError } from './deploy-error.js';
import { DeployDriver } from './deploy-driver.js';
import { runDeployJob, type DeployReport } from './deploy-job.js';
import type { DiskLibrary } from './disk-library.js';

/*
 * The deploy runner with a fake disk library: a refusal is reported with its code and message
 * and nothing after it runs (no wipe, no receive); a receive failure (the session's server
 * refuses the token) is reported too. The driver starts a job once per id and replays the
 * latest status to each new channel.
 */

const DISK: DiskProfile = {
  name: 'vda', sizeBytes: 2 ** 30, logicalBlockSize: 512, physicalBlockSize: 512, rotational: null, removable: false, readOnly: false,
  model: '', vendor: '', serial: 'disk-1', wwn: '', transport: 'virtio', sysfsPath: '',
};

const PLAN: DeployPlan = {
  schema: 1,
  image: { name: 'golden', version: 1, diskBytes: 2 ** 29, usedEndBytes: 2 ** 29, table: 'gpt' },
  target: { serial: 'disk-1', wwn: '', sizeBytes: 2 ** 30, model: '', nameHint: 'vda' },
  untouched: [], layout: { resizePartition: 2, filesystem: 'ext4' },
  personalise: { rootPartition: 2, hostname: 'rack1-1', nics: [], newMachineId: true, removeSshHostKeys: true, uefiBootEntry: null },
};

const PROFILE = { disks: [DISK] } as unknown as MachineProfile;

/** A fake library that records calls; `refuse` names the step that throws. */
function library(calls: string[], refuse?: keyof DiskLibrary): DiskLibrary {
  const step = (name: keyof DiskLibrary) => {
    calls.push(name);
    if (name === refuse) throw new DeployError(name === 'findPlannedDisk' ? 'RC_ERR_DISK_NOT_FOUND' : 'RC_ERR_DISK_MOUNTED', `${name} refused`);
  };
  return {
    findPlannedDisk: () => { step('findPlannedDisk'); return DISK; },
    checkDiskSafety: async () => step('checkDiskSafety'),
    bootArea: () => { step('bootArea'); return { deferred: [{ offset: 0, length: 2 ** 20 }] }; },
    wipeBootArea: async () => step('wipeBootArea'),
    zeroUnstored: async () => step('zeroUnstored'),
    fitTargetDisk: async () => step('fitTargetDisk'),
    personaliseClone: async () => step('personaliseClone'),
  };
}

describe('runDeployJob', () => {
  let server: Server;
  let url: string;
  before(async () => {
    // A boot server that refuses every receiver token, as for a cancelled session.
    server = createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'RC_ERR_SESSION_BAD_TOKEN', message: 'this token does not belong to the session' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = async (disks: DiskLibrary) => {
    const reports: DeployReport[] = [];
    const outcome = await runDeployJob({
      server: url, spec: { sessionId: 4, token: 't', plan: PLAN }, profile: PROFILE, devDir: '/nonexistent-dev', disks,
      report: (r) => reports.push(r), say: () => undefined,
    });
    return { outcome, reports };
  };

  for (const refuse of ['findPlannedDisk', 'checkDiskSafety'] as const) {
    test(`${refuse} refuses: the failure is reported and the disk is never wiped or written`, async () => {
      const calls: string[] = [];
      const { outcome, reports } = await run(library(calls, refuse));
      assert.equal(outcome, 'failed');
      assert.deepEqual(calls, refuse === 'findPlannedDisk' ? ['findPlannedDisk'] : ['findPlannedDisk', 'checkDiskSafety']);
      assert.deepEqual(reports.map((r) => r.stage), ['planned', 'failed']);
      assert.deepEqual(reports.at(-1)?.failure, { code: refuse === 'findPlannedDisk' ? 'RC_ERR_DISK_NOT_FOUND' : 'RC_ERR_DISK_MOUNTED', message: `${refuse} refused` });
    });
  }

  test('a session that refuses the receiver: reported with the receiver\'s code after the wipe; nothing is fitted', async () => {
    const calls: string[] = [];
    const { outcome, reports } = await run(library(calls));
    assert.equal(outcome, 'failed');
    assert.deepEqual(calls, ['findPlannedDisk', 'checkDiskSafety', 'bootArea', 'wipeBootArea']);
    assert.equal(reports.at(-1)?.failure?.code, 'RC_ERR_RECEIVE_REGISTER');
    assert.match(reports.at(-1)?.failure?.message ?? '', /RC_ERR_SESSION_BAD_TOKEN/);
  });
});

describe('DeployDriver', () => {
  test('a job runs once per id; a new channel gets the latest status; another job waits for a reboot', async () => {
    const calls: string[] = [];
    const lines: string[] = [];
    const driver = new DeployDriver({ server: 'http://127.0.0.1:9', profile: PROFILE, devDir: '/nonexistent-dev', disks: library(calls, 'findPlannedDisk'), say: (l) => lines.push(l) });
    const spec: DeployJobSpec = { sessionId: 4, token: 't', plan: PLAN };
    const first: DeployStatusMessage[] = [];
    driver.attach((m) => first.push(m));
    driver.take(7, spec);
    driver.take(7, spec);
    assert.equal(await driver.settled(), 'failed');
    assert.deepEqual(calls, ['findPlannedDisk'], 'the same job id does not start a second run');
    assert.deepEqual(first.map((m) => [m.jobId, m.stage]).slice(-1), [[7, 'failed']]);
    driver.detach();
    const second: DeployStatusMessage[] = [];
    driver.attach((m) => second.push(m));
    assert.deepEqual(second.map((m) => [m.stage, m.failure?.code]), [['failed', 'RC_ERR_DISK_NOT_FOUND']], 'a reconnect replays where the run is');
    driver.take(8, spec);
    assert.deepEqual(calls, ['findPlannedDisk']);
    assert.match(lines.at(-1) ?? '', /job 8 ignored/);
  });
});
