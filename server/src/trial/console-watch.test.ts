import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanConsoleLine, ConsoleWatch, DEFAULT_EXPECT, parseExpect, TAIL_LINES } from './console-watch.js';

const MARKER = 'RACKCAST-CLONE hostname=golden machine-id=6f1d0e6a4c3b4e2d9a8b7c6d5e4f3a21 mac=none disk-bytes=536870912 rootfs-bytes=450000000 firmware=bios';

test('the golden marker matches by default, with its whole line, even split across chunks and ended by CRLF', () => {
  const watch = new ConsoleWatch();
  assert.equal(watch.feed('[    2.9] Linux version 6.1.0\r\ngolden-init: root /dev/vda2\r\nRACKCAST-CLONE hostname=golden '), null);
  const verdict = watch.feed(`${MARKER.slice('RACKCAST-CLONE hostname=golden '.length)}\r\n[    7.3] reboot: Power down\r\n`);
  assert.deepEqual(verdict, { kind: 'matched', line: MARKER });
  assert.deepEqual(watch.tail(), ['[    2.9] Linux version 6.1.0', 'golden-init: root /dev/vda2', MARKER, '[    7.3] reboot: Power down']);
});

test('a login prompt matches only once the quiet console settles its unfinished line', () => {
  const watch = new ConsoleWatch();
  assert.equal(watch.feed('\r\nDebian GNU/Linux 12 web-07 ttyS0\r\n\r\nweb-07 login: '), null);
  assert.deepEqual(watch.settle(), { kind: 'matched', line: 'web-07 login:' });
  assert.equal(watch.tail().at(-1), 'web-07 login:');
});

test('"Last login:" in the middle of a line and a marker not at the line start do not match the default', () => {
  const watch = new ConsoleWatch();
  assert.equal(watch.feed('Last login: Mon Jan 1 from 10.0.0.1\necho RACKCAST-CLONE hostname=x\nlogin: incorrect\n'), null);
  assert.equal(DEFAULT_EXPECT.test('web-07 login:'), true);
});

test('a kernel panic is a verdict of its own, and later text does not turn it into a match', () => {
  const watch = new ConsoleWatch();
  const verdict = watch.feed('[    3.1] VFS: Cannot open root device "LABEL=root"\n[    3.2] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n');
  assert.deepEqual(verdict, { kind: 'panic', line: '[    3.2] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)' });
  watch.feed(`${MARKER}\n`);
  assert.equal(watch.verdict?.kind, 'panic');
  assert.equal(watch.tail().at(-1), MARKER, 'the tail keeps collecting for the report');
});

test('SeaBIOS and OVMF finding nothing to boot end the watch', () => {
  const bios = new ConsoleWatch();
  assert.deepEqual(bios.feed('Booting from Hard Disk...\nBoot failed: not a bootable disk\n\nNo bootable device.\n'), { kind: 'no-boot-device', line: 'No bootable device.' });
  const uefi = new ConsoleWatch();
  assert.equal(uefi.feed('\x1b[2J\x1b[01;01HBdsDxe: failed to load Boot0001 "UEFI QEMU HARDDISK": Not Found\r\n')?.kind, undefined);
  assert.deepEqual(uefi.feed('\x1b[1m\x1b[33mUEFI Interactive Shell v2.2\x1b[0m\r\n'), { kind: 'no-boot-device', line: 'UEFI Interactive Shell v2.2' });
});

test('escape sequences and control bytes are stripped before matching', () => {
  assert.equal(cleanConsoleLine('\x1b[0m\x1b[37m\x1b[40mweb-07 login: \x1b[?25h\r'), 'web-07 login:');
  assert.equal(cleanConsoleLine('\x1b]0;title\x07plain\x00 text\x08'), 'plain text');
  assert.equal(cleanConsoleLine('\x1bcSeaBIOS (version 1.16.2)'), 'SeaBIOS (version 1.16.2)');
  assert.equal(cleanConsoleLine('\x1b[=3h\x1b[=3hBdsDxe: loading'), 'BdsDxe: loading');
  assert.equal(cleanConsoleLine('Press ESC in 5 seconds\rPress ESC in 4 seconds\r'), 'Press ESC in 4 seconds');
});

test('--expect: plain source, /source/flags, a global regex stays reusable, a bad one is null', () => {
  assert.equal(parseExpect('ready at \\d+')?.test('ready at 42'), true);
  const ci = parseExpect('/SYSTEM UP/i');
  assert.equal(ci?.test('system up'), true);
  assert.equal(parseExpect('(unclosed'), null);
  const watch = new ConsoleWatch(/up/g);
  watch.feed('not yet\n');
  assert.deepEqual(watch.feed('up\n'), { kind: 'matched', line: 'up' });
  const again = new ConsoleWatch(/up/g);
  assert.deepEqual(again.feed('up\nup\n'), { kind: 'matched', line: 'up' });
});

test('the tail holds the last lines only, and a line without end is bounded', () => {
  const watch = new ConsoleWatch(/never/);
  for (let i = 0; i < 50; i++) watch.feed(`line ${i}\n`);
  assert.equal(watch.tail().length, TAIL_LINES);
  assert.equal(watch.tail()[0], `line ${50 - TAIL_LINES}`);
  watch.feed('x'.repeat(70 * 1024));
  assert.equal(watch.tail().at(-1)?.length, 70 * 1024, 'settled into the tail once past the bound');
  watch.feed('y');
  assert.equal(watch.tail().at(-1), 'y');
});
