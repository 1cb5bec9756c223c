import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTftpOptions, tftpOptionList, type TftpOptionProblemReason } from './options.js';

const opts = (...pairs: [string, string][]) => pairs.map(([name, value]) => ({ name, value }));

describe('parseTftpOptions', () => {
  test('the four options at the edges of their RFC ranges are taken', () => {
    assert.deepEqual(parseTftpOptions(opts(['blksize', '8'], ['timeout', '255'], ['tsize', '0'], ['windowsize', '65535'])).requested, { blksize: 8, timeout: 255, tsize: 0, windowsize: 65535 });
    assert.deepEqual(parseTftpOptions(opts(['blksize', '65464'], ['timeout', '1'], ['windowsize', '1'], ['tsize', '9007199254740991'])), {
      requested: { blksize: 65464, timeout: 1, windowsize: 1, tsize: Number.MAX_SAFE_INTEGER }, problems: [],
    });
  });

  test('leading zeros are a decimal number', () => {
    assert.deepEqual(parseTftpOptions(opts(['blksize', '01468'])).requested, { blksize: 1468 });
  });

  const problems: [string, string, TftpOptionProblemReason][] = [
    ['blksize', '7', 'out of range'],
    ['blksize', '65465', 'out of range'],
    ['blksize', '0', 'out of range'],
    ['timeout', '0', 'out of range'],
    ['timeout', '256', 'out of range'],
    ['windowsize', '0', 'out of range'],
    ['windowsize', '65536', 'out of range'],
    ['tsize', '9007199254740992', 'out of range'],
    ['blksize', '99999999999999999999', 'not a decimal number'],
    ['blksize', '', 'not a decimal number'],
    ['blksize', '-1', 'not a decimal number'],
    ['blksize', '+512', 'not a decimal number'],
    ['blksize', ' 512', 'not a decimal number'],
    ['blksize', '512 ', 'not a decimal number'],
    ['blksize', '0x200', 'not a decimal number'],
    ['blksize', '1e3', 'not a decimal number'],
    ['tsize', 'enable', 'not a decimal number'],
    ['multicast', '', 'unknown option'],
    ['utimeout', '1000', 'unknown option'],
    ['__proto__', '1', 'unknown option'],
    ['constructor', '1', 'unknown option'],
  ];
  for (const [name, value, reason] of problems) {
    test(`${name}=${JSON.stringify(value)} is left out: ${reason}`, () => {
      // A good option beside it is still taken.
      const other = name === 'timeout' ? 'windowsize' : 'timeout';
      const parsed = parseTftpOptions(opts([other, '4'], [name, value]));
      assert.deepEqual(parsed.problems, [{ name, value, reason }]);
      assert.deepEqual(parsed.requested, { [other]: 4 });
    });
  }

  test('a repeated option: the first counts, the repeat is a problem', () => {
    assert.deepEqual(parseTftpOptions(opts(['blksize', '1024'], ['blksize', '8192'])), {
      requested: { blksize: 1024 }, problems: [{ name: 'blksize', value: '8192', reason: 'repeated option' }],
    });
  });

  test('a bad first value still makes a later one a repeat (the request is ambiguous)', () => {
    assert.deepEqual(parseTftpOptions(opts(['blksize', 'x'], ['blksize', '1024'])).requested, {});
  });
});

describe('tftpOptionList', () => {
  test('OACK order is fixed; absent values are left out', () => {
    assert.deepEqual(tftpOptionList({ windowsize: 4, tsize: 74213, blksize: 1468 }), opts(['blksize', '1468'], ['tsize', '74213'], ['windowsize', '4']));
    assert.deepEqual(tftpOptionList({}), []);
  });
});
