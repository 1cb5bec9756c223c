import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLdd } from './host-files.js';

// `ldd /usr/bin/node` on Debian 12 (Node 20 from the nodejs package).
const NODE_LDD = `	linux-vdso.so.1 (0x00007ff3b089b000)
	libdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007ff3b0884000)
	libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007ff3b0600000)
	libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007ff3b0520000)
	libgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007ff3b0864000)
	libpthread.so.0 => /lib/x86_64-linux-gnu/libpthread.so.0 (0x00007ff3b085f000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007ff3b033e000)
	/lib64/ld-linux-x86-64.so.2 (0x00007ff3b089d000)
`;

test('parseLdd lists every library and the loader, not the vdso', () => {
  assert.deepEqual(parseLdd(NODE_LDD), [
    '/lib/x86_64-linux-gnu/libdl.so.2', '/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib/x86_64-linux-gnu/libm.so.6',
    '/lib/x86_64-linux-gnu/libgcc_s.so.1', '/lib/x86_64-linux-gnu/libpthread.so.0', '/lib/x86_64-linux-gnu/libc.so.6',
    '/lib64/ld-linux-x86-64.so.2',
  ]);
});

test('parseLdd gives nothing for a static binary and fails on a missing library', () => {
  assert.deepEqual(parseLdd('\tstatically linked\n'), []);
  assert.throws(() => parseLdd('\tlibfoo.so.1 => not found\n'), /missing library: libfoo\.so\.1/);
});
