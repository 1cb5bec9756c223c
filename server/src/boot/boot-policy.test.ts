import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BootClientInfo } from '@rackcast/wire';
import { classifyFirmware, createBootDecider, decideBoot, type BootPolicySettings, type BootVerdict } from './boot-policy.js';

const base: BootClientInfo = { vendorClass: null, bootProtocol: null, arch: null, ndi: null, machineId: null, userClasses: [], isIpxe: false, ipxeOptions: null };
const pxe = (arch: number | null): BootClientInfo => ({ ...base, vendorClass: `PXEClient:Arch:${String(arch ?? 0).padStart(5, '0')}:UNDI:002001`, bootProtocol: 'PXEClient', arch });
const http = (arch: number): BootClientInfo => ({ ...base, vendorClass: `HTTPClient:Arch:${String(arch).padStart(5, '0')}`, bootProtocol: 'HTTPClient', arch });
const ipxe: BootClientInfo = { ...pxe(0), userClasses: ['iPXE'], isIpxe: true };
const ipxeBy175Only: BootClientInfo = { ...pxe(7), isIpxe: true, ipxeOptions: new Map([[235, Uint8Array.of(1, 0, 0)]]) };
const udhcpc: BootClientInfo = { ...base, vendorClass: 'udhcp 1.35.0' };

const settings = (unknownMachines: BootPolicySettings['unknownMachines']): BootPolicySettings => ({ unknownMachines, httpBaseUrl: 'http://10.0.0.1:8080/' });

describe('boot policy', () => {
  const cases: [string, BootClientInfo, BootVerdict['answer']][] = [
    ['BIOS PXE (arch 0)', pxe(0), { kind: 'tftp', bootFile: 'undionly.kpxe' }],
    ['old BIOS PXE without option 93', { ...pxe(null), vendorClass: 'PXEClient' }, { kind: 'tftp', bootFile: 'undionly.kpxe' }],
    ['UEFI x64 PXE (arch 7)', pxe(7), { kind: 'tftp', bootFile: 'ipxe.efi' }],
    ['UEFI x64 PXE (arch 9, same binary)', pxe(9), { kind: 'tftp', bootFile: 'ipxe.efi' }],
    ['UEFI x64 HTTP boot (arch 16)', http(16), { kind: 'http', url: 'http://10.0.0.1:8080/boot/files/ipxe.efi' }],
    ['iPXE (user class)', ipxe, { kind: 'ipxe-script', url: 'http://10.0.0.1:8080/boot/ipxe' }],
    ['iPXE (option 175 only)', ipxeBy175Only, { kind: 'ipxe-script', url: 'http://10.0.0.1:8080/boot/ipxe' }],
    ['UEFI IA32 (arch 6): no binary shipped', pxe(6), null],
    ['ARM64 UEFI (arch 11)', pxe(11), null],
    ['ARM32 UEFI (arch 10)', pxe(10), null],
    ['x86 UEFI HTTP (arch 15, 32-bit)', http(15), null],
    ['ARM64 HTTP boot (arch 19)', http(19), null],
    ['a plain DHCP client', udhcpc, null],
    ['no vendor class at all', base, null],
  ];
  for (const [name, client, answer] of cases) {
    test(`${name} → ${answer === null ? 'nothing' : answer.kind}`, () => {
      assert.deepEqual(decideBoot(client, true, settings('register')).answer, answer);
    });
  }

  test('a refusal carries its reason', () => {
    assert.deepEqual(decideBoot(pxe(11), true, settings('register')), { answer: null, reason: 'no iPXE binary for PXEClient architecture 11' });
    assert.deepEqual(decideBoot(udhcpc, true, settings('register')), { answer: null, reason: 'not a network-boot client' });
  });

  test('unknown machines: register and local still boot iPXE and the script; only ignore stays silent', () => {
    for (const client of [pxe(0), pxe(7), ipxe, http(16)]) {
      assert.deepEqual(decideBoot(client, false, settings('local')).answer, decideBoot(client, true, settings('register')).answer);
      assert.deepEqual(decideBoot(client, false, settings('register')).answer, decideBoot(client, true, settings('register')).answer);
      assert.equal(decideBoot(client, false, settings('ignore')).answer, null);
      assert.notEqual(decideBoot(client, true, settings('ignore')).answer, null);
    }
  });

  test('classification puts iPXE before PXE (it says PXEClient too)', () => {
    assert.deepEqual(classifyFirmware(ipxe), { kind: 'ipxe' });
    assert.deepEqual(classifyFirmware(pxe(7)), { kind: 'pxe-uefi-x64' });
    assert.deepEqual(classifyFirmware(http(15)), { kind: 'unsupported', arch: 15, protocol: 'HTTPClient' });
  });

  test('the decider looks machines up only when the answer depends on it', async () => {
    const asked: string[] = [];
    const isKnownMachine = async (mac: string): Promise<boolean> => { asked.push(mac); return mac === 'aa:aa:aa:aa:aa:aa'; };
    const ignoring = createBootDecider({ ...settings('ignore'), isKnownMachine });
    assert.deepEqual((await ignoring({ mac: 'aa:aa:aa:aa:aa:aa', client: pxe(0) })).answer, { kind: 'tftp', bootFile: 'undionly.kpxe' });
    assert.equal((await ignoring({ mac: 'bb:bb:bb:bb:bb:bb', client: pxe(0) })).answer, null);
    assert.equal((await ignoring({ mac: 'cc:cc:cc:cc:cc:cc', client: udhcpc })).answer, null);
    const registering = createBootDecider({ ...settings('register'), isKnownMachine });
    assert.notEqual((await registering({ mac: 'dd:dd:dd:dd:dd:dd', client: pxe(0) })).answer, null);
    assert.deepEqual(asked, ['aa:aa:aa:aa:aa:aa', 'bb:bb:bb:bb:bb:bb']);
  });
});
