import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WireError } from '../wire-error.js';
import { PROFILE_LIMITS } from './machine-profile.js';
import { parseAgentRegistration, parseMachineAgentMessage, parseMachineServerMessage } from './machine-messages.js';
import { parseMachineProfile } from './parse-profile.js';
import { sampleProfile } from './sample-profile.js';

/** A deep copy with one change applied through `edit` (on plain JSON). */
function edited(edit: (p: Record<string, unknown> & { disks: Record<string, unknown>[]; nics: Record<string, unknown>[]; system: Record<string, unknown> }) => void): unknown {
  const copy = JSON.parse(JSON.stringify(sampleProfile())) as Parameters<typeof edit>[0];
  edit(copy);
  return copy;
}

function refusal(value: unknown): { code: string; field: string } {
  try {
    parseMachineProfile(value);
  } catch (err) {
    assert.ok(err instanceof WireError, `not a WireError: ${String(err)}`);
    return { code: err.code, field: err.field };
  }
  assert.fail('expected the profile to be refused');
}

describe('parseMachineProfile', () => {
  test('a valid profile comes back equal, and parsing is idempotent', () => {
    const parsed = parseMachineProfile(JSON.parse(JSON.stringify(sampleProfile())));
    assert.deepEqual(parsed, sampleProfile());
    assert.deepEqual(parseMachineProfile(parsed), parsed);
  });

  test('MACs, UUIDs and addresses are lowercased; unknown fields are dropped', () => {
    const parsed = parseMachineProfile(edited((p) => {
      (p.nics[0] as Record<string, unknown>)['mac'] = '52:54:00:AB:CD:EF';
      p.system['uuid'] = '5E2C6C3A-4D0F-4E8B-9A51-2F2B1D3C4E5F';
      (p.nics[0] as Record<string, unknown>)['addresses'] = ['FE80::1/64'];
      p['futureField'] = { big: 'x'.repeat(10_000) };
      (p.disks[0] as Record<string, unknown>)['smart'] = 'ok';
    }));
    assert.equal(parsed.nics[0]?.mac, '52:54:00:ab:cd:ef');
    assert.equal(parsed.system.uuid, '5e2c6c3a-4d0f-4e8b-9a51-2f2b1d3c4e5f');
    assert.deepEqual(parsed.nics[0]?.addresses, ['fe80::1/64']);
    assert.equal(Object.hasOwn(parsed, 'futureField'), false);
    assert.equal(Object.hasOwn(parsed.disks[0] as object, 'smart'), false);
  });

  const cases: [string, (p: Parameters<Parameters<typeof edited>[0]>[0]) => void, string, string][] = [
    ['wrong schema version', (p) => { p['schema'] = 2; }, 'RC_ERR_WIRE_UNSUPPORTED_VERSION', 'schema'],
    ['missing system', (p) => { delete (p as Record<string, unknown>)['system']; }, 'RC_ERR_WIRE_INVALID', 'system'],
    ['serial is a number', (p) => { p.system['serial'] = 12345; }, 'RC_ERR_WIRE_INVALID', 'system.serial'],
    ['vendor too long', (p) => { p.system['vendor'] = 'x'.repeat(PROFILE_LIMITS.text + 1); }, 'RC_ERR_WIRE_INVALID', 'system.vendor'],
    ['control character in a model', (p) => { (p.disks[0] as Record<string, unknown>)['model'] = 'evil\nlog line'; }, 'RC_ERR_WIRE_INVALID', 'disks[0].model'],
    ['negative disk size', (p) => { (p.disks[0] as Record<string, unknown>)['sizeBytes'] = -1; }, 'RC_ERR_WIRE_INVALID', 'disks[0].sizeBytes'],
    ['fractional disk size', (p) => { (p.disks[0] as Record<string, unknown>)['sizeBytes'] = 1.5; }, 'RC_ERR_WIRE_INVALID', 'disks[0].sizeBytes'],
    ['disk size past 2^53', (p) => { (p.disks[0] as Record<string, unknown>)['sizeBytes'] = 2 ** 53; }, 'RC_ERR_WIRE_INVALID', 'disks[0].sizeBytes'],
    ['empty disk name', (p) => { (p.disks[0] as Record<string, unknown>)['name'] = ''; }, 'RC_ERR_WIRE_INVALID', 'disks[0].name'],
    ['too many disks', (p) => { p.disks = Array.from({ length: PROFILE_LIMITS.disks + 1 }, () => p.disks[0] as Record<string, unknown>); }, 'RC_ERR_WIRE_INVALID', 'disks'],
    ['too many NICs', (p) => { p.nics = Array.from({ length: PROFILE_LIMITS.nics + 1 }, () => p.nics[0] as Record<string, unknown>); }, 'RC_ERR_WIRE_INVALID', 'nics'],
    ['malformed MAC', (p) => { (p.nics[0] as Record<string, unknown>)['mac'] = '52:54:00:12:34'; }, 'RC_ERR_WIRE_INVALID', 'nics[0].mac'],
    ['speed as text', (p) => { (p.nics[0] as Record<string, unknown>)['speedMbps'] = '1000'; }, 'RC_ERR_WIRE_INVALID', 'nics[0].speedMbps'],
    ['address without prefix', (p) => { (p.nics[0] as Record<string, unknown>)['addresses'] = ['10.0.0.1']; }, 'RC_ERR_WIRE_INVALID', 'nics[0].addresses[0]'],
    ['unknown firmware mode', (p) => { (p['firmware'] as Record<string, unknown>)['mode'] = 'openfirmware'; }, 'RC_ERR_WIRE_INVALID', 'firmware.mode'],
    ['bad time', (p) => { p['detectedAt'] = 'yesterday'; }, 'RC_ERR_WIRE_INVALID', 'detectedAt'],
    ['disks is an object', (p) => { (p as Record<string, unknown>)['disks'] = { 0: {} }; }, 'RC_ERR_WIRE_INVALID', 'disks'],
    ['a disk is null', (p) => { (p as Record<string, unknown>)['disks'] = [null]; }, 'RC_ERR_WIRE_INVALID', 'disks[0]'],
    ['a problem is too long', (p) => { p['problems'] = ['x'.repeat(PROFILE_LIMITS.problem + 1)]; }, 'RC_ERR_WIRE_INVALID', 'problems[0]'],
  ];
  for (const [name, edit, code, field] of cases) {
    test(`refuses ${name}, naming ${field}`, () => {
      assert.deepEqual(refusal(edited(edit)), { code, field });
    });
  }

  test('refuses non-objects at the top', () => {
    for (const value of [null, [], 'profile', 42, undefined]) assert.deepEqual(refusal(value), { code: 'RC_ERR_WIRE_INVALID', field: 'profile' });
  });

  test('an inherited property never counts as a field', () => {
    const proto = JSON.parse(JSON.stringify(sampleProfile())) as Record<string, unknown>;
    const child = Object.create(proto) as Record<string, unknown>;
    child['schema'] = 1;
    assert.equal(refusal(child).field, 'detectedAt');
  });
});

describe('machine messages', () => {
  test('a registration parses with its profile; a bad boot MAC is named', () => {
    const reg = parseAgentRegistration({ bootMac: '52:54:00:12:34:56', agentVersion: '0.1.0', profile: sampleProfile() });
    assert.equal(reg.bootMac, '52:54:00:12:34:56');
    assert.deepEqual(reg.profile, sampleProfile());
    assert.equal(parseAgentRegistration({ bootMac: null, agentVersion: '0.1.0', profile: sampleProfile() }).bootMac, null);
    assert.throws(() => parseAgentRegistration({ bootMac: 'nope', agentVersion: '0.1.0', profile: sampleProfile() }), (e: WireError) => e.field === 'bootMac');
    assert.throws(() => parseAgentRegistration({ bootMac: null, agentVersion: '0.1.0', profile: { schema: 1 } }), (e: WireError) => e.field === 'detectedAt');
  });

  test('server and agent messages parse, and anything else is refused by field', () => {
    assert.deepEqual(parseMachineServerMessage({ type: 'job', job: { id: 3, action: 'reboot' } }), { type: 'job', job: { id: 3, action: 'reboot' } });
    assert.deepEqual(parseMachineAgentMessage({ type: 'ack', jobId: 3, action: 'poweroff' }), { type: 'ack', jobId: 3, action: 'poweroff' });
    assert.deepEqual(parseMachineAgentMessage({ type: 'heartbeat', uptimeSeconds: 12 }), { type: 'heartbeat', uptimeSeconds: 12 });
    assert.throws(() => parseMachineServerMessage({ type: 'job', job: { id: 3, action: 'format-disk' } }), (e: WireError) => e.field === 'job.action');
    assert.throws(() => parseMachineAgentMessage({ type: 'shell', cmd: 'rm' }), (e: WireError) => e.field === 'type');
    assert.throws(() => parseMachineAgentMessage({ type: 'ack', jobId: -1, action: 'wait' }), (e: WireError) => e.field === 'jobId');
  });
});
