import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WireError, type WireErrorCode } from '../wire-error.js';
import {
  TFTP_MAX_BLOCK_SIZE, TftpErrorCode, TftpOpcode, decodeTftpPacket, encodeTftpDataHeader, encodeTftpPacket, type TftpPacket,
} from './packet.js';

/** Bytes from a readable spelling: text with "\0" for NUL, prefixed by a 2-byte opcode. */
function packet(opcode: number, text = ''): Uint8Array {
  return Uint8Array.from([opcode >>> 8, opcode & 0xff, ...Buffer.from(text, 'latin1')]);
}

function refuses(bytes: Uint8Array, code: WireErrorCode, field: string): void {
  assert.throws(() => decodeTftpPacket(bytes), (err: unknown) => {
    assert.ok(err instanceof WireError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

describe('decodeTftpPacket: requests (RFC 1350 §5, RFC 2347)', () => {
  test('an RRQ with options, as iPXE sends it', () => {
    const p = decodeTftpPacket(packet(1, 'undionly.kpxe\0octet\0blksize\x001432\0tsize\x000\0'));
    assert.deepEqual(p, {
      opcode: TftpOpcode.ReadRequest, filename: 'undionly.kpxe', mode: 'octet',
      options: [{ name: 'blksize', value: '1432' }, { name: 'tsize', value: '0' }],
    });
  });

  test('a WRQ without options', () => {
    assert.deepEqual(decodeTftpPacket(packet(2, 'up.bin\0netascii\0')), { opcode: TftpOpcode.WriteRequest, filename: 'up.bin', mode: 'netascii', options: [] });
  });

  test('mode and option names are case-insensitive: they come back lowercased; values and file names keep their case', () => {
    const p = decodeTftpPacket(packet(1, 'Boot/IPXE.efi\0OcTeT\0BLKSIZE\x001468\0WindowSize\x004\0Odd\0Value\0'));
    assert.deepEqual(p, {
      opcode: 1, filename: 'Boot/IPXE.efi', mode: 'octet',
      options: [{ name: 'blksize', value: '1468' }, { name: 'windowsize', value: '4' }, { name: 'odd', value: 'Value' }],
    });
  });

  test('zero bytes after the last option are padding, not an empty option', () => {
    assert.deepEqual(decodeTftpPacket(packet(1, 'a\0octet\0\0\0\0')), { opcode: 1, filename: 'a', mode: 'octet', options: [] });
    assert.deepEqual(decodeTftpPacket(packet(1, 'a\0octet\0tsize\x000\0\0')), { opcode: 1, filename: 'a', mode: 'octet', options: [{ name: 'tsize', value: '0' }] });
  });

  test('file names are kept byte for byte (latin1), even bytes a server will refuse', () => {
    const raw = Uint8Array.from([0, 1, 0x2e, 0x2e, 0x2f, 0x80, 0xff, 0x5c, 0, 0x6f, 0x63, 0x74, 0x65, 0x74, 0]);
    const p = decodeTftpPacket(raw);
    assert.equal(p.opcode, 1);
    if (p.opcode !== 1) return;
    assert.deepEqual([...p.filename].map((c) => c.charCodeAt(0)), [0x2e, 0x2e, 0x2f, 0x80, 0xff, 0x5c]);
    assert.deepEqual(encodeTftpPacket(p), raw);
  });

  const malformed: [string, Uint8Array, WireErrorCode, string][] = [
    ['empty datagram', new Uint8Array(0), 'RC_ERR_WIRE_TRUNCATED', 'opcode'],
    ['one byte', Uint8Array.of(0), 'RC_ERR_WIRE_TRUNCATED', 'opcode'],
    ['opcode 0', packet(0, 'a\0octet\0'), 'RC_ERR_WIRE_INVALID', 'opcode'],
    ['opcode 7', packet(7, 'a\0octet\0'), 'RC_ERR_WIRE_INVALID', 'opcode'],
    ['opcode 0xffff', packet(0xffff), 'RC_ERR_WIRE_INVALID', 'opcode'],
    ['RRQ with nothing after the opcode', packet(1), 'RC_ERR_WIRE_TRUNCATED', 'filename'],
    ['file name without NUL', packet(1, 'undionly.kpxe'), 'RC_ERR_WIRE_TRUNCATED', 'filename'],
    ['no mode', packet(1, 'a\0'), 'RC_ERR_WIRE_TRUNCATED', 'mode'],
    ['mode without NUL', packet(1, 'a\0octet'), 'RC_ERR_WIRE_TRUNCATED', 'mode'],
    ['empty file name', packet(1, '\0octet\0'), 'RC_ERR_WIRE_INVALID', 'filename'],
    ['empty mode', packet(1, 'a\0\0'), 'RC_ERR_WIRE_INVALID', 'mode'],
    ['option name without NUL', packet(1, 'a\0octet\0blksize'), 'RC_ERR_WIRE_TRUNCATED', 'options[0].name'],
    ['option without value', packet(1, 'a\0octet\0blksize\0'), 'RC_ERR_WIRE_TRUNCATED', 'options[0].value'],
    ['option value without NUL', packet(1, 'a\0octet\0tsize\x000\0blksize\x001468'), 'RC_ERR_WIRE_TRUNCATED', 'options[1].value'],
    ['empty option name before more bytes', packet(1, 'a\0octet\0\0x\0'), 'RC_ERR_WIRE_INVALID', 'options[0].name'],
    ['DATA without block number', packet(3, 'x'), 'RC_ERR_WIRE_TRUNCATED', 'block'],
    ['ACK without block number', packet(4, 'x'), 'RC_ERR_WIRE_TRUNCATED', 'block'],
    ['ERROR without code', packet(5), 'RC_ERR_WIRE_TRUNCATED', 'code'],
    ['ERROR message without NUL', packet(5, '\0\x01File not found'), 'RC_ERR_WIRE_TRUNCATED', 'message'],
    ['OACK without options', packet(6), 'RC_ERR_WIRE_INVALID', 'options'],
    ['OACK option without value', packet(6, 'blksize\0'), 'RC_ERR_WIRE_TRUNCATED', 'options[0].value'],
  ];
  for (const [what, bytes, code, field] of malformed) {
    test(`refuses ${what}: ${code} at ${field}`, () => refuses(bytes, code, field));
  }
});

describe('decodeTftpPacket: DATA, ACK, ERROR, OACK', () => {
  test('DATA: block number and a view of the payload', () => {
    const bytes = packet(3, '\x01\x02hello');
    const p = decodeTftpPacket(bytes);
    assert.equal(p.opcode, TftpOpcode.Data);
    if (p.opcode !== TftpOpcode.Data) return;
    assert.equal(p.block, 0x0102);
    assert.equal(Buffer.from(p.data).toString(), 'hello');
    assert.equal(p.data.buffer, bytes.buffer, 'a view, not a copy');
  });

  test('DATA with an empty payload ends a transfer whose size is a multiple of the block size', () => {
    assert.deepEqual(decodeTftpPacket(packet(3, '\xff\xff')), { opcode: 3, block: 0xffff, data: new Uint8Array(0) });
  });

  test('ACK: bytes after the block number are ignored, as tftpd-hpa does', () => {
    assert.deepEqual(decodeTftpPacket(packet(4, '\0\x07')), { opcode: 4, block: 7 });
    assert.deepEqual(decodeTftpPacket(packet(4, '\0\x07\0\0junk')), { opcode: 4, block: 7 });
  });

  test('ERROR: code and message; bytes after the NUL are ignored', () => {
    assert.deepEqual(decodeTftpPacket(packet(5, '\0\x08option refused\0')), { opcode: 5, code: TftpErrorCode.OptionNegotiation, message: 'option refused' });
    assert.deepEqual(decodeTftpPacket(packet(5, '\x12\x34\0pad')), { opcode: 5, code: 0x1234, message: '' });
  });

  test('OACK: options in order, names lowercased', () => {
    assert.deepEqual(decodeTftpPacket(packet(6, 'BLKSIZE\x001468\0tsize\x0074213\0')), {
      opcode: 6, options: [{ name: 'blksize', value: '1468' }, { name: 'tsize', value: '74213' }],
    });
  });
});

describe('encodeTftpPacket', () => {
  const samples: TftpPacket[] = [
    { opcode: 1, filename: 'ipxe.efi', mode: 'octet', options: [{ name: 'blksize', value: '1468' }, { name: 'windowsize', value: '8' }] },
    { opcode: 2, filename: 'x', mode: 'netascii', options: [] },
    { opcode: 3, block: 65535, data: Uint8Array.from({ length: 512 }, (_, i) => i & 0xff) },
    { opcode: 3, block: 0, data: new Uint8Array(0) },
    { opcode: 4, block: 0 },
    { opcode: 5, code: TftpErrorCode.AccessViolation, message: 'Access violation' },
    { opcode: 6, options: [{ name: 'tsize', value: '52428800' }] },
  ];
  for (const p of samples) {
    test(`opcode ${p.opcode} round-trips`, () => assert.deepEqual(decodeTftpPacket(encodeTftpPacket(p)), p));
  }

  test('exact bytes of an RRQ, an ACK, an ERROR and a DATA header', () => {
    assert.deepEqual(encodeTftpPacket(samples[0] as TftpPacket), packet(1, 'ipxe.efi\0octet\0blksize\x001468\0windowsize\x008\0'));
    assert.deepEqual(encodeTftpPacket({ opcode: 4, block: 0x1234 }), Uint8Array.of(0, 4, 0x12, 0x34));
    assert.deepEqual(encodeTftpPacket({ opcode: 5, code: 1, message: 'File not found' }), packet(5, '\0\x01File not found\0'));
    assert.deepEqual(encodeTftpDataHeader(0x1_0001), Uint8Array.of(0, 3, 0, 1), 'block numbers wrap at 2^16');
  });

  const bad: [string, TftpPacket, string][] = [
    ['a NUL in a file name', { opcode: 1, filename: 'a\0b', mode: 'octet', options: [] }, 'filename'],
    ['a character above 0xff', { opcode: 1, filename: 'caf\u20ac', mode: 'octet', options: [] }, 'filename'],
    ['an empty file name', { opcode: 1, filename: '', mode: 'octet', options: [] }, 'filename'],
    ['an empty option name', { opcode: 6, options: [{ name: '', value: '1' }] }, 'options[0].name'],
    ['an OACK without options', { opcode: 6, options: [] }, 'options'],
    ['block 65536', { opcode: 4, block: 65536 }, 'block'],
    ['a negative error code', { opcode: 5, code: -1, message: '' }, 'code'],
    ['a block above the largest block size', { opcode: 3, block: 1, data: new Uint8Array(TFTP_MAX_BLOCK_SIZE + 1) }, 'data'],
  ];
  for (const [what, p, field] of bad) {
    test(`refuses ${what}`, () => {
      assert.throws(() => encodeTftpPacket(p), (err: unknown) => err instanceof WireError && err.code === 'RC_ERR_WIRE_INVALID' && err.field === field);
    });
  }
});
