import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImagePlan } from '../../../preboot-image/builder/dist/index.js';
import { normaliseInodes } from './ext4-partition.js';

test('every inode of the plan and the root folder gets owner root and the epoch as every time', () => {
  const plan = new ImagePlan();
  plan.addData('etc/hostname', 'golden\n');
  plan.addSymlink('bin/sh', '/bin/busybox');
  const lines = normaliseInodes(plan, 1_700_000_000).trim().split('\n');
  for (const path of ['/', '/bin', '/bin/sh', '/etc', '/etc/hostname']) {
    for (const field of ['uid 0', 'gid 0', 'atime @1700000000', 'mtime @1700000000', 'ctime @1700000000', 'crtime @1700000000']) {
      assert.ok(lines.includes(`set_inode_field "${path}" ${field}`), `${path} ${field}`);
    }
  }
  assert.equal(lines.length, 5 * 6);
});

test('a path debugfs cannot quote is refused', () => {
  const plan = new ImagePlan();
  plan.addData('etc/a"b', 'x');
  assert.throws(() => normaliseInodes(plan, 1), /cannot be passed to debugfs/);
});
