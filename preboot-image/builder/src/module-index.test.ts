import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterModulesAlias, filterModulesDep } from './module-index.js';

const DEP = [
  'kernel/drivers/virtio/virtio_ring.ko:',
  'kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko',
  'kernel/net/core/failover.ko:',
  'kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko',
  '',
].join('\n');

const VIRTIO_NET = ['kernel/drivers/virtio/virtio_ring.ko', 'kernel/drivers/virtio/virtio.ko', 'kernel/net/core/failover.ko',
  'kernel/drivers/net/net_failover.ko', 'kernel/drivers/net/virtio_net.ko'];

test('filterModulesDep keeps the lines of the subset, in the full file\'s order', () => {
  const out = filterModulesDep(DEP, new Set(VIRTIO_NET));
  assert.deepEqual(out.trim().split('\n').map((l) => l.split(':')[0]), [
    'kernel/drivers/virtio/virtio_ring.ko', 'kernel/drivers/virtio/virtio.ko', 'kernel/drivers/net/virtio_net.ko',
    'kernel/drivers/net/net_failover.ko', 'kernel/net/core/failover.ko',
  ]);
  assert.ok(!out.includes('ext4'));
});

test('filterModulesDep refuses a subset that lacks a dependency', () => {
  assert.throws(() => filterModulesDep(DEP, new Set(['kernel/fs/ext4/ext4.ko'])), /jbd2\.ko, which is not in the image/);
});

test('filterModulesAlias keeps aliases of kept modules, dashes and underscores alike', () => {
  const alias = [
    'alias pci:v00001AF4d00001000sv*sd*bc*sc*i* virtio_pci',
    'alias virtio:d00000001v* virtio_net',
    'alias crypto-crc32c crc32c-intel',
    'alias fs-ext4 ext4',
    '# comment line',
  ].join('\n');
  const out = filterModulesAlias(alias, new Set(['kernel/drivers/net/virtio_net.ko', 'kernel/arch/x86/crypto/crc32c-intel.ko']));
  assert.equal(out, 'alias virtio:d00000001v* virtio_net\nalias crypto-crc32c crc32c-intel\n');
});
