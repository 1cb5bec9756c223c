import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHostname, updateHosts } from './hostname.js';
import { machineIdAction, newMachineId, MACHINE_ID } from './machine-id.js';
import { PersonaliseError } from './personalise-error.js';

const GOLDEN_HOSTS = '127.0.0.1\tlocalhost\n127.0.1.1\tgolden\n::1\tlocalhost ip6-localhost ip6-loopback\n';

test('host names: RFC 1123 labels accepted, anything else refused before a write', () => {
  for (const ok of ['rack1-7', 'web-07.dc1.example.com', 'a', '7x']) checkHostname(ok);
  for (const bad of ['', '-a', 'a-', 'a_b', 'a..b', 'a b', 'x'.repeat(64), 'a\nb', `${'a.'.repeat(127)}a`]) {
    assert.throws(() => checkHostname(bad), (e: unknown) => e instanceof PersonaliseError && e.code === 'RC_ERR_PERSONALISE_PLAN', JSON.stringify(bad));
  }
});

test('/etc/hosts: the 127.0.1.1 line names the clone; other lines stay', () => {
  assert.deepEqual(updateHosts(GOLDEN_HOSTS, 'rack1-7', 'golden'), { text: '127.0.0.1\tlocalhost\n127.0.1.1\track1-7\n::1\tlocalhost ip6-localhost ip6-loopback\n', change: 'updated' });
  assert.equal(updateHosts(GOLDEN_HOSTS, 'web-1.dc.example.com', 'golden').text.split('\n')[1], '127.0.1.1\tweb-1.dc.example.com web-1');
});

test('/etc/hosts: the old name elsewhere is replaced as a whole word; a missing 127.0.1.1 line is added after 127.0.0.1', () => {
  const text = '# static\n127.0.0.1 localhost golden # self\n10.0.0.5 goldenrod\n';
  assert.deepEqual(updateHosts(text, 'rack1-7', 'golden'), {
    text: '# static\n127.0.0.1\tlocalhost rack1-7 # self\n127.0.1.1\track1-7\n10.0.0.5 goldenrod\n', change: 'added',
  });
  assert.equal(updateHosts('', 'h', '').text, '127.0.1.1\th\n');
});

test('machine-id: fresh ids are 32 hex digits, UUID v4 bits set, never the same twice', () => {
  const a = newMachineId();
  assert.match(a, MACHINE_ID);
  assert.equal(a[12], '4');
  assert.match(a[16] ?? '', /[89ab]/);
  assert.notEqual(newMachineId(), a);
  assert.equal(newMachineId(() => new Uint8Array(16).fill(0xff)), 'ffffffffffff4fffbfffffffffffffff');
});

test('machine-id: a real id is renewed; empty and "uninitialized" are left for systemd; no file stays none', () => {
  assert.equal(machineIdAction('6f1d0e6a4c3b4e2d9a8b7c6d5e4f3a21\n'), 'renew');
  assert.equal(machineIdAction(''), 'keep-empty');
  assert.equal(machineIdAction('\n'), 'keep-empty');
  assert.equal(machineIdAction('uninitialized\n'), 'keep-uninitialized');
  assert.equal(machineIdAction(null), 'absent');
});
