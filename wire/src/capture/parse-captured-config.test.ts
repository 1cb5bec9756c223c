import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WireError, type WireErrorCode } from '../wire-error.js';
import { parseCapturedConfig } from './parse-captured-config.js';
import { SAMPLE_CAPTURED_CONFIG } from './sample-captured-config.js';

const sample = (): Record<string, unknown> => JSON.parse(JSON.stringify(SAMPLE_CAPTURED_CONFIG)) as Record<string, unknown>;

function assertRefused(value: unknown, code: WireErrorCode, field: string): void {
  assert.throws(() => parseCapturedConfig(value), (err: unknown) => {
    assert.ok(err instanceof WireError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

describe('parseCapturedConfig', () => {
  test('the sample passes unchanged; unknown fields are dropped; MACs come back lowercase', () => {
    assert.deepStrictEqual(parseCapturedConfig(sample()), SAMPLE_CAPTURED_CONFIG);
    const extra = { ...sample(), secret: 'x' };
    assert.equal(Object.hasOwn(parseCapturedConfig(extra), 'secret'), false);
    const upper = sample();
    (upper['interfaces'] as { mac: string }[]).splice(1, 1, { ...(SAMPLE_CAPTURED_CONFIG.interfaces[1] as object), mac: '52:54:00:AB:CD:EF' } as { mac: string });
    assert.equal(parseCapturedConfig(upper).interfaces[1]?.mac, '52:54:00:ab:cd:ef');
  });

  test('null partition table and boot entries are allowed (a bare disk on a BIOS machine)', () => {
    const bare = { ...sample(), partitionTable: null, bootEntries: null, firmwareMode: 'bios' };
    const parsed = parseCapturedConfig(bare);
    assert.equal(parsed.partitionTable, null);
    assert.equal(parsed.bootEntries, null);
  });

  test('refusals name the field', () => {
    assertRefused({ ...sample(), schema: 2 }, 'RC_ERR_WIRE_UNSUPPORTED_VERSION', 'schema');
    assertRefused({ ...sample(), capturedAt: 'yesterday' }, 'RC_ERR_WIRE_INVALID', 'capturedAt');
    assertRefused({ ...sample(), hostname: 'a\nb' }, 'RC_ERR_WIRE_INVALID', 'hostname');
    assertRefused({ ...sample(), firmwareMode: 'efi' }, 'RC_ERR_WIRE_INVALID', 'firmwareMode');
    const badAddress = sample();
    (badAddress['interfaces'] as { addresses: string[] }[]).splice(0, 1, { ...(SAMPLE_CAPTURED_CONFIG.interfaces[0] as object), addresses: ['10.0.0.5/24', 'eth0'] } as { addresses: string[] });
    assertRefused(badAddress, 'RC_ERR_WIRE_INVALID', 'interfaces[0].addresses[1]');
    const badMethod = sample();
    (badMethod['filesystems'] as { method: string }[]).splice(1, 1, { ...(SAMPLE_CAPTURED_CONFIG.filesystems[1] as object), method: 'guess' } as { method: string });
    assertRefused(badMethod, 'RC_ERR_WIRE_INVALID', 'filesystems[1].method');
    const badBoot = sample();
    (badBoot['bootEntries'] as { order: string[] }).order = ['3'];
    assertRefused(badBoot, 'RC_ERR_WIRE_INVALID', 'bootEntries.order[0]');
    const tooMany = sample();
    (tooMany['interfaces'] as unknown[]) = Array.from({ length: 65 }, () => (sample()['interfaces'] as unknown[])[0]);
    assertRefused(tooMany, 'RC_ERR_WIRE_INVALID', 'interfaces');
    const { disk: _disk, ...noDisk } = sample();
    assertRefused(noDisk, 'RC_ERR_WIRE_INVALID', 'disk');
  });
});
