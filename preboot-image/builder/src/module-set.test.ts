import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { BuildError } from './build-error.js';
import { moduleNameOf, parseModuleList, parseShowDepends } from './module-set.js';

test('parseModuleList reads names, the always flag and skips comments', () => {
  const list = parseModuleList('# NICs\nvirtio_net\n\n  ext4 always  # file system\nnls-utf8\n');
  assert.deepEqual(list, [
    { name: 'virtio_net', always: false },
    { name: 'ext4', always: true },
    { name: 'nls-utf8', always: false },
  ]);
});

test('parseModuleList refuses a line that is not "<module> [always]", naming the line', () => {
  for (const bad of ['ext4 sometimes', 'ext4 always extra', 'ext4/x']) {
    assert.throws(() => parseModuleList(`virtio_net\n${bad}\n`), (err: unknown) =>
      err instanceof BuildError && err.code === 'RC_ERR_PREBOOT_BAD_OPTION' && err.message.includes('line 2'));
  }
});

test('the committed modules.list carries the datacenter drivers of the issue', async () => {
  const text = await readFile(new URL('../modules.list', import.meta.url), 'utf8');
  const names = new Set(parseModuleList(text).map((m) => m.name));
  const required = ['virtio_net', 'virtio_blk', 'virtio_scsi', 'e1000', 'e1000e', 'igb', 'igc', 'ixgbe', 'i40e', 'ice',
    'mlx4_en', 'mlx5_core', 'bnxt_en', 'tg3', 'nvme', 'ahci', 'megaraid_sas', 'mpt3sas', 'smartpqi',
    'sd_mod', 'ext4', 'vfat', 'nls_cp437', 'nls_ascii', 'nls_utf8'];
  assert.deepEqual(required.filter((n) => !names.has(n)), []);
});

test('parseShowDepends keeps insmod files in order and names builtins', () => {
  const out = [
    'insmod /k/lib/modules/6.1.0-56-amd64/kernel/drivers/virtio/virtio_ring.ko ',
    'insmod /k/lib/modules/6.1.0-56-amd64/kernel/drivers/net/virtio_net.ko napi_tx=1',
    'builtin crc32c',
    '',
  ].join('\n');
  assert.deepEqual(parseShowDepends(out), {
    files: ['/k/lib/modules/6.1.0-56-amd64/kernel/drivers/virtio/virtio_ring.ko', '/k/lib/modules/6.1.0-56-amd64/kernel/drivers/net/virtio_net.ko'],
    builtin: ['crc32c'],
  });
});

test('moduleNameOf spells names as the kernel does', () => {
  assert.equal(moduleNameOf('kernel/arch/x86/crypto/crc32c-intel.ko'), 'crc32c_intel');
  assert.equal(moduleNameOf('kernel/fs/nls/nls_iso8859-1.ko.xz'), 'nls_iso8859_1');
  assert.equal(moduleNameOf('virtio_net.ko'), 'virtio_net');
});
