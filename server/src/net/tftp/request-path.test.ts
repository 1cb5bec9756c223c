import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestPath, type RequestPathRefusal } from './request-path.js';

describe('parseRequestPath', () => {
  const accepted: [string, string[]][] = [
    ['undionly.kpxe', ['undionly.kpxe']],
    ['/undionly.kpxe', ['undionly.kpxe']],
    ['//efi//ipxe.efi', ['efi', 'ipxe.efi']],
    ['./efi/./ipxe.efi', ['efi', 'ipxe.efi']],
    ['/etc/passwd', ['etc', 'passwd']],
    ['....//....//etc/passwd', ['....', '....', 'etc', 'passwd']],
    ['..foo', ['..foo']],
    ['a b:c', ['a b:c']],
  ];
  for (const [name, segments] of accepted) {
    test(`${JSON.stringify(name)} names ${segments.join('/')} below the root`, () => {
      assert.deepEqual(parseRequestPath(name), { ok: true, segments });
    });
  }

  const refused: [string, RequestPathRefusal][] = [
    ['..', 'path traversal'],
    ['../etc/passwd', 'path traversal'],
    ['../../etc/passwd', 'path traversal'],
    ['/../etc/passwd', 'path traversal'],
    ['sub/../../etc/passwd', 'path traversal'],
    ['sub/..', 'path traversal'],
    ['sub/../undionly.kpxe', 'path traversal'],
    ['..\\..\\etc\\passwd', 'character not allowed'],
    ['boot\\x86\\wdsnbp.com', 'character not allowed'],
    ['a\nb', 'character not allowed'],
    ['a\tb', 'character not allowed'],
    ['caf\u00e9', 'character not allowed'],
    ['\u007f', 'character not allowed'],
    ['/', 'empty path'],
    ['./', 'empty path'],
  ];
  for (const [name, reason] of refused) {
    test(`${JSON.stringify(name)} is refused: ${reason}`, () => {
      assert.deepEqual(parseRequestPath(name), { ok: false, reason });
    });
  }
});
