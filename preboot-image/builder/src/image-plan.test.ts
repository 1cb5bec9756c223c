import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImagePlan } from './image-plan.js';

function plan(order: 'forward' | 'reverse', mode = 0o755, target = '/bin/busybox', text = '#!/bin/sh\n'): ImagePlan {
  const p = new ImagePlan();
  const steps = [
    (): void => p.addData('init', text, mode),
    (): void => p.addSymlink('bin/sh', target),
    (): void => p.addDir('tmp', 0o1777),
  ];
  for (const step of order === 'forward' ? steps : steps.reverse()) step();
  return p;
}

test('entries come in byte order with their parent folders, so folders precede contents', () => {
  const p = plan('reverse');
  p.addData('bin-tools/x', 'x');
  assert.deepEqual(p.entries().map((e) => e.path), ['bin', 'bin-tools', 'bin-tools/x', 'bin/sh', 'init', 'tmp']);
  assert.equal(p.entries().find((e) => e.path === 'tmp')?.kind, 'dir');
});

test('the key ignores the order entries were added in', () => {
  assert.equal(plan('forward').key('s'), plan('reverse').key('s'));
});

test('the key changes with content, mode, link target and salt', () => {
  const base = plan('forward').key('s');
  assert.notEqual(plan('forward', 0o755, '/bin/busybox', '#!/bin/ash\n').key('s'), base);
  assert.notEqual(plan('forward', 0o700).key('s'), base);
  assert.notEqual(plan('forward', 0o755, 'busybox').key('s'), base);
  assert.notEqual(plan('forward').key('t'), base);
});

test('a path added twice, or escaping the root, is refused', () => {
  const p = plan('forward');
  assert.throws(() => p.addData('init', 'again'), /added twice/);
  assert.throws(() => p.addData('../etc/passwd', 'x'), /bad image path/);
  assert.throws(() => p.addDir('init'), /both a directory and a data/);
});

test('contentBytes counts file bytes only', () => {
  const p = new ImagePlan();
  p.addData('a/b', 'hello');
  p.addSymlink('a/c', 'b');
  assert.equal(p.contentBytes(), 5);
});
