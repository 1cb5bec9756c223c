import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WireError, type WireErrorCode } from '../wire-error.js';
import { DhcpMessageType, DhcpOption, encodeSubOptions } from './options.js';
import {
  readClientIdentifier, readDnsServers, readHostName, readLeaseTime, readMaxMessageSize, readMessageType, readParameterRequestList,
  readRequestedAddress, readRouters, readServerIdentifier, readSubnetMask, readUserClass, readVendorClass,
} from './option-values.js';
import { BROADCAST_FLAG, DHCP_MAX_LENGTH, BootpOp, decodeDhcpPacket, encodeDhcpPacket, hardwareAddress, type DhcpPacket } from './packet.js';
import { describeBootClient, encodeIpxeNoProxyWait, encodePxeBootfileOnly, readIpxeOptions, readPxeVendorOptions } from './pxe.js';
import { routeReply } from './reply-route.js';

// ---------------------------------------------------------------------------------------------
// An independent writer of RFC 2131 figure 1, byte by byte: it checks nothing, so it also
// builds what the encoder never would (split options, overload, missing END, lies).
// ---------------------------------------------------------------------------------------------

interface RawMessage {
  op?: number; htype?: number; hlen?: number; xid?: number; flags?: number;
  ciaddr?: number[]; giaddr?: number[]; chaddr?: number[];
  sname?: number[]; file?: number[];
  cookie?: number[];
  /** Raw option bytes after the cookie, written as given (include 255 yourself). */
  options: number[];
}

function rawMessage(m: RawMessage): Uint8Array {
  const out = new Uint8Array(240 + m.options.length);
  out[0] = m.op ?? 1;
  out[1] = m.htype ?? 1;
  out[2] = m.hlen ?? 6;
  const xid = m.xid ?? 0x01020304;
  out.set([xid >>> 24, (xid >>> 16) & 255, (xid >>> 8) & 255, xid & 255], 4);
  out.set([(m.flags ?? 0) >> 8, (m.flags ?? 0) & 255], 10);
  out.set(m.ciaddr ?? [0, 0, 0, 0], 12);
  out.set(m.giaddr ?? [0, 0, 0, 0], 24);
  out.set(m.chaddr ?? [0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 28);
  out.set(m.sname ?? [], 44);
  out.set(m.file ?? [], 108);
  out.set(m.cookie ?? [99, 130, 83, 99], 236);
  out.set(m.options, 240);
  return out;
}

const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const opt = (code: number, value: number[]): number[] => [code, value.length, ...value];

/** A BIOS iPXE DISCOVER with the options research/lab.md §3 decoded from the lab's pcap. */
const IPXE_BIOS_DISCOVER = rawMessage({
  flags: BROADCAST_FLAG,
  options: [
    ...opt(53, [1]),
    ...opt(57, [0x05, 0xc0]),
    ...opt(93, [0, 0]),
    ...opt(94, [1, 2, 1]),
    ...opt(60, ascii('PXEClient:Arch:00000:UNDI:002001')),
    ...opt(77, ascii('iPXE')),
    ...opt(55, [1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203]),
    ...opt(175, [177, 5, 1, 0x1a, 0xf4, 0x10, 0x00, 235, 3, 1, 0, 0, 19, 1, 1, 16, 1, 2]),
    ...opt(61, [1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56]),
    ...opt(97, [0, ...new Array<number>(16).fill(0xab)]),
    255,
  ],
});

function throwsWire(fn: () => unknown, code: WireErrorCode, field?: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WireError, `not a WireError: ${String(err)}`);
    assert.equal(err.code, code);
    if (typeof field === 'string') assert.equal(err.field, field);
    else if (field) assert.match(err.field, field);
    return true;
  });
}

describe('DHCP packet: decode what firmware sends', () => {
  test('an iPXE BIOS DISCOVER: header, every option, the boot facts', () => {
    const p = decodeDhcpPacket(IPXE_BIOS_DISCOVER);
    assert.equal(p.op, BootpOp.Request);
    assert.equal(p.xid, 0x01020304);
    assert.equal(p.flags, BROADCAST_FLAG);
    assert.equal(hardwareAddress(p), '52:54:00:12:34:56');
    assert.equal(readMessageType(p.options), DhcpMessageType.Discover);
    assert.equal(readMaxMessageSize(p.options), 1472);
    assert.equal(readVendorClass(p.options), 'PXEClient:Arch:00000:UNDI:002001');
    assert.deepEqual(readUserClass(p.options), ['iPXE']);
    assert.equal(readParameterRequestList(p.options)?.length, 23);
    assert.deepEqual([...(readClientIdentifier(p.options) ?? [])], [1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    const info = describeBootClient(p.options);
    assert.equal(info.bootProtocol, 'PXEClient');
    assert.equal(info.arch, 0);
    assert.deepEqual(info.ndi, { type: 1, major: 2, minor: 1 });
    assert.equal(info.machineId?.byteLength, 17);
    assert.equal(info.isIpxe, true);
    assert.deepEqual([...(readIpxeOptions(p.options)?.get(235) ?? [])], [1, 0, 0]);
    assert.deepEqual([...(readIpxeOptions(p.options)?.get(19) ?? [])], [1]);
  });

  test('OVMF PXE (no user class, arch only in option 60) and UEFI HTTP boot', () => {
    const ovmf = decodeDhcpPacket(rawMessage({ options: [...opt(53, [1]), ...opt(60, ascii('PXEClient:Arch:00007:UNDI:003000')), 255] }));
    assert.deepEqual(describeBootClient(ovmf.options), {
      vendorClass: 'PXEClient:Arch:00007:UNDI:003000', bootProtocol: 'PXEClient', arch: 7, ndi: null, machineId: null, userClasses: [], isIpxe: false, ipxeOptions: null,
    });
    const http = decodeDhcpPacket(rawMessage({ options: [...opt(53, [1]), ...opt(93, [0, 16]), ...opt(60, ascii('HTTPClient:Arch:00016:UNDI:003001')), 255] }));
    const info = describeBootClient(http.options);
    assert.equal(info.bootProtocol, 'HTTPClient');
    assert.equal(info.arch, 16);
  });

  test('busybox udhcpc: not a boot client', () => {
    const p = decodeDhcpPacket(rawMessage({ options: [...opt(53, [1]), ...opt(60, ascii('udhcp 1.35.0')), ...opt(12, ascii('node1')), 255] }));
    const info = describeBootClient(p.options);
    assert.equal(info.bootProtocol, null);
    assert.equal(info.isIpxe, false);
    assert.equal(readHostName(p.options), 'node1');
  });

  test('PAD anywhere is skipped, a missing END is accepted', () => {
    const p = decodeDhcpPacket(rawMessage({ options: [0, 0, ...opt(53, [3]), 0, ...opt(50, [10, 0, 0, 7]), 0, 0] }));
    assert.equal(readMessageType(p.options), DhcpMessageType.Request);
    assert.equal(readRequestedAddress(p.options), '10.0.0.7');
  });

  test('a long option split into several instances reads as one (RFC 3396)', () => {
    const p = decodeDhcpPacket(rawMessage({ options: [...opt(53, [1]), ...opt(77, ascii('iP')), ...opt(12, ascii('h')), ...opt(77, ascii('XE')), 255] }));
    assert.deepEqual(readUserClass(p.options), ['iPXE']);
  });

  test('option overload 52: options in file then sname, in RFC 3396 order', () => {
    const file = [...opt(60, ascii('PXEClient:')), ...opt(12, ascii('from-file')), 255];
    const sname = [...opt(60, ascii('Arch:00007')), 255];
    const p = decodeDhcpPacket(rawMessage({ file, sname, options: [...opt(52, [3]), ...opt(53, [1]), 255] }));
    assert.equal(readVendorClass(p.options), 'PXEClient:Arch:00007');
    assert.equal(readHostName(p.options), 'from-file');
    assert.equal(p.file, '');
    assert.equal(p.sname, '');
  });

  test('without overload, file and sname are text up to the first NUL', () => {
    const p = decodeDhcpPacket(rawMessage({ file: [...ascii('undionly.kpxe'), 0, 65], sname: ascii('boot'), options: [255] }));
    assert.equal(p.file, 'undionly.kpxe');
    assert.equal(p.sname, 'boot');
  });

  test('RFC 3004 user class frames and a bare string', () => {
    const framed = decodeDhcpPacket(rawMessage({ options: [...opt(77, [4, ...ascii('iPXE'), 3, ...ascii('lab')]), 255] }));
    assert.deepEqual(readUserClass(framed.options), ['iPXE', 'lab']);
  });
});

describe('DHCP packet: malformed input is a WireError naming the field', () => {
  const cases: [string, Uint8Array, WireErrorCode, string | RegExp][] = [
    ['empty', new Uint8Array(0), 'RC_ERR_WIRE_TRUNCATED', 'packet'],
    ['header cut at 239 bytes', IPXE_BIOS_DISCOVER.slice(0, 239), 'RC_ERR_WIRE_TRUNCATED', 'packet'],
    ['option cut in its value', IPXE_BIOS_DISCOVER.slice(0, 250), 'RC_ERR_WIRE_TRUNCATED', /^options option /],
    ['option without a length byte', rawMessage({ options: [53] }), 'RC_ERR_WIRE_TRUNCATED', 'options option 53'],
    ['length past the end', rawMessage({ options: [60, 200, 65, 65] }), 'RC_ERR_WIRE_TRUNCATED', 'options option 60'],
    ['no magic cookie (BOOTP)', rawMessage({ cookie: [0, 0, 0, 0], options: [255] }), 'RC_ERR_WIRE_BAD_MAGIC', 'cookie'],
    ['op 3', rawMessage({ op: 3, options: [255] }), 'RC_ERR_WIRE_INVALID', 'op'],
    ['hlen 17', rawMessage({ hlen: 17, options: [255] }), 'RC_ERR_WIRE_INVALID', 'hlen'],
    ['oversize', new Uint8Array(DHCP_MAX_LENGTH + 1), 'RC_ERR_WIRE_INVALID', 'packet'],
    ['overload value 4', rawMessage({ options: [...opt(52, [4]), 255] }), 'RC_ERR_WIRE_INVALID', 'option 52'],
    ['overloaded file with a lying length', rawMessage({ file: [60, 200], options: [...opt(52, [1]), 255] }), 'RC_ERR_WIRE_TRUNCATED', 'file option 60'],
  ];
  for (const [name, bytes, code, field] of cases) {
    test(name, () => throwsWire(() => decodeDhcpPacket(bytes), code, field));
  }

  test('accessors reject lengths their spec forbids', () => {
    const p = (options: number[]): DhcpPacket => decodeDhcpPacket(rawMessage({ options: [...options, 255] }));
    throwsWire(() => readServerIdentifier(p(opt(54, [10, 0, 0])).options), 'RC_ERR_WIRE_INVALID', 'option 54');
    throwsWire(() => readMessageType(p(opt(53, [9])).options), 'RC_ERR_WIRE_INVALID', 'option 53');
    throwsWire(() => readMessageType(p(opt(53, [1, 1])).options), 'RC_ERR_WIRE_INVALID', 'option 53');
    throwsWire(() => readMaxMessageSize(p(opt(57, [1, 0])).options), 'RC_ERR_WIRE_INVALID', 'option 57');
    throwsWire(() => readLeaseTime(p(opt(51, [0, 0, 1])).options), 'RC_ERR_WIRE_INVALID', 'option 51');
    throwsWire(() => readRouters(p(opt(3, [10, 0, 0, 1, 10])).options), 'RC_ERR_WIRE_INVALID', 'option 3');
    throwsWire(() => readClientIdentifier(p(opt(61, [1])).options), 'RC_ERR_WIRE_INVALID', 'option 61');
    throwsWire(() => describeBootClient(p(opt(93, [0, 0, 7])).options), 'RC_ERR_WIRE_INVALID', 'option 93');
    throwsWire(() => describeBootClient(p(opt(94, [1, 2])).options), 'RC_ERR_WIRE_INVALID', 'option 94');
    throwsWire(() => describeBootClient(p(opt(97, [1, ...new Array<number>(16).fill(0)])).options), 'RC_ERR_WIRE_INVALID', 'option 97');
    throwsWire(() => describeBootClient(p(opt(175, [176, 5, 1])).options), 'RC_ERR_WIRE_TRUNCATED', 'option 175 option 176');
    assert.equal(readSubnetMask(p([]).options), undefined);
  });
});

describe('DHCP packet: encode', () => {
  const reply: DhcpPacket = {
    op: BootpOp.Reply, htype: 1, hlen: 6, hops: 0, xid: 0xdeadbeef, secs: 0, flags: BROADCAST_FLAG,
    ciaddr: '0.0.0.0', yiaddr: '10.9.0.100', siaddr: '10.9.0.1', giaddr: '0.0.0.0',
    chaddr: Uint8Array.from([0x52, 0x54, 0, 0x12, 0x34, 0x56, ...new Array<number>(10).fill(0)]),
    sname: '', file: 'undionly.kpxe',
    options: new Map([
      [DhcpOption.MessageType, Uint8Array.of(DhcpMessageType.Offer)],
      [DhcpOption.ServerIdentifier, Uint8Array.of(10, 9, 0, 1)],
      [DhcpOption.DomainNameServer, Uint8Array.of(10, 9, 0, 1, 10, 9, 0, 2)],
      [DhcpOption.LeaseTime, Uint8Array.of(0, 0, 0x0e, 0x10)],
      [DhcpOption.VendorSpecific, encodePxeBootfileOnly()],
    ]),
  };

  test('round trip, padded to 300 bytes (RFC 1542), options in order then END', () => {
    const bytes = encodeDhcpPacket(reply);
    assert.equal(bytes.byteLength, 300);
    assert.deepEqual([...bytes.subarray(240, 246)], [53, 1, 2, 54, 4, 10]);
    const back = decodeDhcpPacket(bytes);
    assert.deepEqual({ ...back, options: [...back.options] }, { ...reply, options: [...reply.options] });
    assert.equal(readLeaseTime(back.options), 3600);
    assert.deepEqual(readDnsServers(back.options), ['10.9.0.1', '10.9.0.2']);
    assert.deepEqual([...(readPxeVendorOptions(back.options)?.get(6) ?? [])], [8]);
  });

  test('an option over 255 bytes goes out as several instances and reads back whole', () => {
    const url = `http://10.9.0.1:8080/boot/ipxe?${'x'.repeat(400)}`;
    const bytes = encodeDhcpPacket({ ...reply, file: '', options: new Map([[DhcpOption.BootfileName, Buffer.from(url)]]) });
    assert.equal(bytes[240], 67);
    assert.equal(bytes[241], 255);
    assert.equal(bytes[240 + 257], 67);
    assert.equal(Buffer.from(decodeDhcpPacket(bytes).options.get(67) ?? []).toString(), url);
  });

  test('175.176 = 1 for iPXE', () => {
    assert.deepEqual([...encodeIpxeNoProxyWait()], [176, 1, 1, 255]);
    assert.deepEqual(encodeSubOptions(new Map()), Uint8Array.of(255));
  });

  test('a file name that does not fit the 128-byte field, a bad address, a bad code', () => {
    throwsWire(() => encodeDhcpPacket({ ...reply, file: 'f'.repeat(128) }), 'RC_ERR_WIRE_INVALID', 'file');
    throwsWire(() => encodeDhcpPacket({ ...reply, yiaddr: '10.9.0.256' }), 'RC_ERR_WIRE_INVALID', 'yiaddr');
    throwsWire(() => encodeDhcpPacket({ ...reply, options: new Map([[255, Uint8Array.of(1)]]) }), 'RC_ERR_WIRE_INVALID', 'option 255');
  });
});

describe('DHCP reply route (RFC 2131 §4.1)', () => {
  const req = { giaddr: '0.0.0.0', ciaddr: '0.0.0.0', flags: 0 };
  test('relay, ciaddr, broadcast bit, and the unicast-to-chaddr case', () => {
    assert.deepEqual(routeReply({ ...req, giaddr: '10.1.0.1', ciaddr: '10.2.0.5' }), { address: '10.1.0.1', port: 67, broadcastInsteadOfUnicast: false });
    assert.deepEqual(routeReply({ ...req, giaddr: '10.1.0.1' }, true), { address: '10.1.0.1', port: 67, broadcastInsteadOfUnicast: false });
    assert.deepEqual(routeReply({ ...req, ciaddr: '10.2.0.5' }), { address: '10.2.0.5', port: 68, broadcastInsteadOfUnicast: false });
    assert.deepEqual(routeReply({ ...req, ciaddr: '10.2.0.5' }, true), { address: '255.255.255.255', port: 68, broadcastInsteadOfUnicast: false });
    assert.deepEqual(routeReply({ ...req, flags: BROADCAST_FLAG }), { address: '255.255.255.255', port: 68, broadcastInsteadOfUnicast: false });
    assert.deepEqual(routeReply(req), { address: '255.255.255.255', port: 68, broadcastInsteadOfUnicast: true });
  });
});
