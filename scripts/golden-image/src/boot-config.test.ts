import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KERNEL_ARGS, syslinuxConfig } from './boot-config.js';

test('syslinux boots the kernel at once, on the serial console, with the root found by label', () => {
  const cfg = syslinuxConfig();
  assert.match(cfg, /^SERIAL 0 115200$/m);
  assert.match(cfg, /^TIMEOUT 0$/m);
  assert.match(cfg, /^ {2}LINUX \/vmlinuz$/m);
  assert.match(cfg, /^ {2}INITRD \/initrd\.img$/m);
  assert.match(cfg, new RegExp(`^  APPEND ${KERNEL_ARGS}$`, 'm'));
  assert.match(KERNEL_ARGS, /(^| )console=ttyS0,115200( |$)/);
  assert.match(KERNEL_ARGS, /(^| )root=LABEL=root( |$)/);
});
