import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ToolRunner } from '../disk/index.js';
import { createUefiBootEntry, entriesLabelled, uefiLoaderPath } from './boot-entry.js';
import { PersonaliseError } from './personalise-error.js';

/** `efibootmgr` (18) on an OVMF VM after two earlier deploys. */
const LIST = [
  'BootCurrent: 0001', 'Timeout: 0 seconds', 'BootOrder: 0004,0003,0001,0000',
  'Boot0000* UiApp\tFvVol(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/FvFile(462caa21-7614-4503-836e-8ab6f4662331)',
  'Boot0001* UEFI PXEv4 (MAC:525400ABCD07)\tPciRoot(0x0)/Pci(0x3,0x0)/MAC(525400abcd07,1)/IPv4(0.0.0.0,0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)',
  'Boot0003* rackcast\tHD(1,GPT,2f1a9c3e-6b5d-4a7e-8c9f-0e1d2c3b4a51,0x800,0x20000)/File(\\EFI\\BOOT\\BOOTX64.EFI)',
  'Boot0004* rackcast\tHD(1,GPT,2f1a9c3e-6b5d-4a7e-8c9f-0e1d2c3b4a51,0x800,0x20000)/File(\\EFI\\BOOT\\BOOTX64.EFI)',
].join('\n');

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

async function sysRoot(uefi: boolean): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'rackcast-efi-'));
  dirs.push(root);
  if (uefi) await mkdir(join(root, 'firmware', 'efi', 'efivars'), { recursive: true });
  return root;
}

function recorder(failOn?: string): { runner: ToolRunner; calls: string[][] } {
  const calls: string[][] = [];
  const runner: ToolRunner = async (command, args) => {
    calls.push([command, ...args]);
    if (failOn !== undefined && args.includes(failOn)) return { code: 5, stdout: '', stderr: 'Could not prepare Boot variable: Read-only file system' };
    return { code: 0, stdout: args.length === 0 ? LIST : '', stderr: '' };
  };
  return { runner, calls };
}

const ENTRY = { label: 'rackcast', partition: 1, loader: '/EFI/BOOT/BOOTX64.EFI' };

test('UEFI: old entries with the label are deleted, then exactly one efibootmgr --create', async () => {
  const { runner, calls } = recorder();
  const outcome = await createUefiBootEntry(runner, '/dev/vda', ENTRY, await sysRoot(true));
  assert.deepEqual(calls, [
    ['efibootmgr'],
    ['efibootmgr', '--bootnum', '0003', '--delete-bootnum'],
    ['efibootmgr', '--bootnum', '0004', '--delete-bootnum'],
    ['efibootmgr', '--create', '--disk', '/dev/vda', '--part', '1', '--label', 'rackcast', '--loader', '\\EFI\\BOOT\\BOOTX64.EFI'],
  ]);
  assert.deepEqual(outcome, { created: true, command: "efibootmgr --create --disk /dev/vda --part 1 --label rackcast --loader '\\EFI\\BOOT\\BOOTX64.EFI'", replaced: ['0003', '0004'] });
});

test('BIOS (no /sys/firmware/efi): efibootmgr never runs', async () => {
  const { runner, calls } = recorder();
  assert.deepEqual(await createUefiBootEntry(runner, '/dev/vda', ENTRY, await sysRoot(false)), { created: false, reason: 'the machine was not booted by UEFI firmware' });
  assert.deepEqual(calls, []);
});

test('efibootmgr failing is RC_ERR_PERSONALISE_BOOT_ENTRY with its message', async () => {
  const { runner } = recorder('--create');
  await assert.rejects(createUefiBootEntry(runner, '/dev/vda', ENTRY, await sysRoot(true)),
    (e: unknown) => e instanceof PersonaliseError && e.code === 'RC_ERR_PERSONALISE_BOOT_ENTRY' && /Read-only file system/.test(e.message));
});

test('labels and loader paths', () => {
  assert.deepEqual(entriesLabelled(LIST, 'UEFI PXEv4 (MAC:525400ABCD07)'), ['0001']);
  assert.deepEqual(entriesLabelled('Boot000A* debian\n', 'debian'), ['000A']);
  assert.deepEqual(entriesLabelled(LIST, 'rack'), []);
  assert.equal(uefiLoaderPath('EFI/debian/shimx64.efi'), '\\EFI\\debian\\shimx64.efi');
  assert.equal(uefiLoaderPath('\\EFI\\BOOT\\BOOTX64.EFI'), '\\EFI\\BOOT\\BOOTX64.EFI');
});
