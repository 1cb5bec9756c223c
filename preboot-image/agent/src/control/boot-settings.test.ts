import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootSettings, parseBootIf } from './boot-settings.js';

const LINE = 'BOOT_IMAGE=vmlinuz initrd=initrd.img console=ttyS0,115200 rackcast.server=http://10.0.0.1:8080/ rackcast.token=abcDEF_123-xyz BOOTIF=01-52-54-00-AB-CD-EF\n';

test('server, token and boot MAC come from the kernel command line', () => {
  assert.deepEqual(bootSettings(LINE), { server: 'http://10.0.0.1:8080', token: 'abcDEF_123-xyz', bootMac: '52:54:00:ab:cd:ef' });
});

test('--server and --token override the command line', () => {
  assert.deepEqual(bootSettings(LINE, { server: 'http://127.0.0.1:9', token: 't' }), { server: 'http://127.0.0.1:9', token: 't', bootMac: '52:54:00:ab:cd:ef' });
  assert.equal(bootSettings('rackcast.server=http://h:1').token, null);
});

test('without a server URL the agent cannot start, and says how to fix it', () => {
  assert.throws(() => bootSettings('console=ttyS0'), /rackcast\.server=/);
  assert.throws(() => bootSettings('rackcast.server=ftp://x'), /rackcast\.server=/);
});

test('BOOTIF: Ethernet type 01 and six octets, else none', () => {
  assert.equal(parseBootIf('BOOTIF=01-aa-bb-cc-dd-ee-ff'), 'aa:bb:cc:dd:ee:ff');
  for (const line of ['', 'BOOTIF=aa-bb-cc-dd-ee-ff', 'BOOTIF=01-aa-bb-cc-dd-ee', 'BOOTIF=20-aa-bb-cc-dd-ee-ff', 'XBOOTIF=01-aa-bb-cc-dd-ee-ff']) {
    assert.equal(parseBootIf(line), null, line);
  }
});
