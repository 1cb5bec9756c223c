import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVpdSerial, parseVpdWwn } from './vpd.js';

const page83 = (...descriptors: number[][]): Uint8Array => {
  const body = descriptors.flat();
  return new Uint8Array([0x00, 0x83, body.length >> 8, body.length & 0xff, ...body]);
};
const naa = [0x01, 0x03, 0x00, 0x08, 0x50, 0x00, 0xc5, 0x00, 0xa1, 0xb2, 0xc3, 0xd4];
const naa16 = [0x01, 0x03, 0x00, 0x10, 0x60, 0x05, 0x07, 0x68, 0x02, 0x80, 0x80, 0x1c, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a];
const eui = [0x01, 0x02, 0x00, 0x08, 0x00, 0x25, 0x38, 0x8b, 0x91, 0xb2, 0xc3, 0xd4];
const t10 = [0x02, 0x01, 0x00, 0x0c, ...Buffer.from('ATA     QEMU')];
const targetPortNaa = [0x61, 0x93, 0x00, 0x08, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01];
const nameString = [0x03, 0x08, 0x00, 0x18, ...Buffer.from('iqn.2003-01.org.example\0')];

test('page 83h: NAA beats EUI-64 and T10; the longest NAA wins; target-port designators are ignored', () => {
  assert.equal(parseVpdWwn(page83(t10, eui, naa)), 'naa.5000c500a1b2c3d4');
  assert.equal(parseVpdWwn(page83(naa, naa16)), 'naa.600507680280801c280000000000002a');
  assert.equal(parseVpdWwn(page83(t10, eui)), 'eui.0025388b91b2c3d4');
  assert.equal(parseVpdWwn(page83(targetPortNaa, t10)), 't10.ATA     QEMU');
  assert.equal(parseVpdWwn(page83(naa, nameString)), 'iqn.2003-01.org.example');
});

test('page 83h: truncated, wrong page or empty input give "" without throwing', () => {
  const whole = page83(t10, naa);
  for (let cut = 0; cut < whole.length; cut++) assert.equal(typeof parseVpdWwn(whole.subarray(0, cut)), 'string');
  assert.equal(parseVpdWwn(whole.subarray(0, whole.length - 3)), 't10.ATA     QEMU', 'a cut-off last descriptor is dropped');
  assert.equal(parseVpdWwn(new Uint8Array([0x00, 0x80, 0x00, 0x00])), '');
  assert.equal(parseVpdWwn(new Uint8Array(0)), '');
});

test('page 80h: the serial with padding removed', () => {
  assert.equal(parseVpdSerial(new Uint8Array([0x00, 0x80, 0x00, 0x0a, ...Buffer.from('  WD-12345\0')])), 'WD-12345');
  assert.equal(parseVpdSerial(new Uint8Array([0x00, 0x83, 0x00, 0x00])), '');
});
