import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startTftpServer, type TftpServer } from '@rackcast/server';
import { TftpErrorCode, TftpOpcode, encodeTftpPacket, type TftpOption } from '@rackcast/wire';
import { TftpPeer, captureLogger, fetchWithCodec, type LogLine } from './helpers/tftp-peer.js';
import { tempDir } from './helpers/temp-dir.js';

// Bad input to Rackcast's TFTP server on loopback: malformed datagrams, requests it must
// refuse (writes, unknown modes, paths outside its folder), bad option values, repeated
// requests, stalled and vanishing clients. Each costs at most one log line, is dropped or
// answered with an ERROR, and the server keeps serving.

const exec = promisify(execFile);
const QUIET_MS = 200;

let work: Awaited<ReturnType<typeof tempDir>>;
let top: string;
let root: string;
let server: TftpServer;
let lines: LogLine[];
let fifoWriter: ChildProcess;
const boot = randomBytes(5000);

before(async () => {
  work = await tempDir('tftp-bad');
  top = work.path;
  root = join(top, 'root');
  await mkdir(join(root, 'sub'), { recursive: true });
  await mkdir(join(top, 'outside'));
  await writeFile(join(root, 'boot.bin'), boot);
  await writeFile(join(root, 'sub', 'inner.bin'), boot.subarray(0, 700));
  await writeFile(join(top, 'outside', 'secret'), 'secret\n');
  await symlink('../outside/secret', join(root, 'escape'));
  await symlink(join(top, 'outside'), join(root, 'outdir'));
  await symlink('../outside/fifo', join(root, 'fifo-link'));
  // A FIFO outside the folder with a writer blocked on it: if the server ever opened it, the
  // writer would get through and exit. It must still be blocked at the end.
  execFileSync('mkfifo', [join(top, 'outside', 'fifo')]);
  fifoWriter = spawn('sh', ['-c', 'echo leaked > "$1"', 'sh', join(top, 'outside', 'fifo')], { stdio: 'ignore' });
  const captured = captureLogger();
  lines = captured.lines;
  server = await startTftpServer({ host: '127.0.0.1', port: 0, root, maxBlockSize: 8192, maxWindowSize: 8 }, captured.log);
});

after(async () => {
  await server?.close();
  if (fifoWriter?.exitCode === null) fifoWriter.kill('SIGKILL');
  await work?.remove();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const bytes = (opcode: number, text = ''): Uint8Array => Uint8Array.from([opcode >>> 8, opcode & 0xff, ...Buffer.from(text, 'latin1')]);

/** Waits (bounded) until the main server has no transfer left, so its lines belong to no later test. */
async function idle(): Promise<void> {
  for (let waited = 0; server.transfers > 0 && waited < 5000; waited += 20) await sleep(20);
  assert.equal(server.transfers, 0, 'the server is idle');
}

/** Runs `act` and returns the log lines it caused (waiting for the first, then QUIET_MS more). */
async function linesOf(act: () => Promise<void> | void, waitIdle = true): Promise<LogLine[]> {
  if (waitIdle) await idle();
  const from = lines.length;
  await act();
  for (let waited = 0; lines.length === from && waited < 2000; waited += 20) await sleep(20);
  await sleep(QUIET_MS);
  return lines.slice(from);
}

function assertOneLine(got: LogLine[], msg: string, level?: number): LogLine {
  assert.deepEqual(got.map((l) => l.msg), [msg], JSON.stringify(got));
  const line = got[0] as LogLine;
  if (level !== undefined) assert.equal(line.level, level, JSON.stringify(line));
  return line;
}

async function serverStillServes(): Promise<void> {
  const fetched = await fetchWithCodec(server.address.port, 'boot.bin', [{ name: 'blksize', value: '1468' }]);
  assert.deepEqual(fetched.data, boot, 'the server still serves');
}

describe('malformed datagrams on the listening port: dropped, one log line each', () => {
  const cases: [string, Uint8Array][] = [
    ['an empty datagram', new Uint8Array(0)],
    ['one byte', Uint8Array.of(1)],
    ['opcode 0', bytes(0, 'boot.bin\0octet\0')],
    ['opcode 7', bytes(7, 'boot.bin\0octet\0')],
    ['opcode 0xffff', bytes(0xffff, 'boot.bin\0octet\0')],
    ['an RRQ whose file name has no NUL', bytes(1, 'boot.bin')],
    ['an RRQ without a mode', bytes(1, 'boot.bin\0')],
    ['an RRQ whose mode has no NUL', bytes(1, 'boot.bin\0octet')],
    ['an RRQ with an option but no value', bytes(1, 'boot.bin\0octet\0blksize\0')],
    ['an RRQ whose option value has no NUL', bytes(1, 'boot.bin\0octet\0blksize\x001468')],
    ['an RRQ with an empty file name', bytes(1, '\0octet\0')],
    ['an RRQ with an empty mode', bytes(1, 'boot.bin\0\0')],
    ['an RRQ with an empty option name', bytes(1, 'boot.bin\0octet\0\0x\0')],
    ['a WRQ whose file name has no NUL', bytes(2, 'x')],
  ];
  for (const [what, datagram] of cases) {
    test(what, async () => {
      const peer = await TftpPeer.open();
      try {
        const got = await linesOf(() => peer.send(datagram, server.address.port));
        assertOneLine(got, 'tftp request malformed', 20);
        assert.equal(await peer.next(50), null, 'no reply');
      } finally {
        peer.close();
      }
    });
  }

  for (const [what, packet] of [
    ['DATA', bytes(3, '\0\x01hello')], ['ACK', bytes(4, '\0\x01')], ['ERROR', bytes(5, '\0\x01nope\0')], ['OACK', bytes(6, 'blksize\x00512\0')],
  ] as const) {
    test(`a ${what} sent to the listening port`, async () => {
      const peer = await TftpPeer.open();
      try {
        assertOneLine(await linesOf(() => peer.send(packet, server.address.port)), 'tftp packet unexpected on the listening port', 20);
        assert.equal(await peer.next(50), null, 'no reply');
      } finally {
        peer.close();
      }
    });
  }

  test('the server still serves afterwards', serverStillServes);
});

describe('requests the server refuses: an ERROR and one log line', () => {
  async function refused(filename: string, opcode: 1 | 2 = 1, mode = 'octet'): Promise<{ code: number; line: LogLine }> {
    const peer = await TftpPeer.open();
    try {
      let reply = null;
      const got = await linesOf(async () => {
        peer.send({ opcode, filename, mode, options: [] }, server.address.port);
        reply = await peer.next();
      });
      const r = reply as Awaited<ReturnType<TftpPeer['next']>>;
      assert.equal(r?.packet?.opcode, TftpOpcode.Error, `an ERROR for ${JSON.stringify(filename)}: ${r?.bytes.toString('hex')}`);
      assert.equal(await peer.next(100), null, 'nothing after the ERROR');
      assert.equal(got.length, 1, JSON.stringify(got));
      return { code: r?.packet?.opcode === TftpOpcode.Error ? r.packet.code : -1, line: got[0] as LogLine };
    } finally {
      peer.close();
    }
  }

  test('a write request: ERROR 2 (read-only server), nothing written', async () => {
    const before = await readdir(root);
    const { code, line } = await refused('upload.bin', 2);
    assert.equal(code, TftpErrorCode.AccessViolation);
    assert.equal(line.msg, 'tftp write request refused');
    assert.deepEqual(await readdir(root), before);
  });

  test('a write request over an existing file: refused, the file unchanged', async () => {
    const { code } = await refused('boot.bin', 2);
    assert.equal(code, TftpErrorCode.AccessViolation);
    assert.deepEqual((await fetchWithCodec(server.address.port, 'boot.bin')).data, boot);
  });

  test('mode "mail": ERROR 4', async () => {
    const { code, line } = await refused('boot.bin', 1, 'mail');
    assert.equal(code, TftpErrorCode.IllegalOperation);
    assert.equal(line.msg, 'tftp transfer mode refused');
  });

  test('a missing file: ERROR 1', async () => {
    const { code, line } = await refused('pxelinux.0');
    assert.equal(code, TftpErrorCode.FileNotFound);
    assert.equal(line.msg, 'tftp file not found');
  });

  const outside: [string, number][] = [
    ['../outside/secret', TftpErrorCode.AccessViolation],
    ['../../../../../../etc/passwd', TftpErrorCode.AccessViolation],
    ['/../outside/secret', TftpErrorCode.AccessViolation],
    ['sub/../../outside/secret', TftpErrorCode.AccessViolation],
    ['sub/../boot.bin', TftpErrorCode.AccessViolation],
    ['..\\outside\\secret', TftpErrorCode.AccessViolation],
    ['escape', TftpErrorCode.AccessViolation],
    ['outdir/secret', TftpErrorCode.AccessViolation],
    ['fifo-link', TftpErrorCode.AccessViolation],
    ['outdir/fifo', TftpErrorCode.AccessViolation],
    ['../outside/fifo', TftpErrorCode.AccessViolation],
  ];
  for (const [name, want] of outside) {
    test(`path traversal ${JSON.stringify(name)}: ERROR ${want}, a warning naming it`, async () => {
      const { code, line } = await refused(name);
      assert.equal(code, want);
      assert.equal(line.msg, 'tftp request outside the folder refused');
      assert.equal(line.level, 40, 'logged as a warning');
      assert.equal(line['file'], name);
    });
  }

  test('absolute paths name files inside the folder: the outside secret and /etc/passwd are "not found"', async () => {
    for (const name of [join(top, 'outside', 'secret'), join(top, 'outside', 'fifo'), '/etc/passwd']) {
      const { code, line } = await refused(name);
      assert.equal(code, TftpErrorCode.FileNotFound, name);
      assert.equal(line.msg, 'tftp file not found');
    }
  });

  test('curl (--path-as-is keeps the dots) gets "access violation" for a traversal and a link out', async () => {
    for (const name of ['../outside/secret', 'escape', 'outdir/secret']) {
      const out = join(top, `curl-${name.replace(/\W/g, '_')}`);
      const result = await exec('curl', ['-sS', '--path-as-is', '--max-time', '20', '-o', out, `tftp://127.0.0.1:${server.address.port}/${name}`]).then(() => 0, (err: { code: number }) => err.code);
      assert.equal(result, 69, `curl exit 69 (TFTP access violation) for ${name}`);
    }
  });

  test('nothing outside the folder was opened: the FIFO writer is still blocked', async () => {
    await sleep(100);
    assert.equal(fifoWriter.exitCode, null, 'the FIFO outside the folder was never opened for reading');
  });

  test('the server still serves afterwards', serverStillServes);
});

describe('bad option values: the option is ignored (RFC 2347) with one log line, the file still comes', () => {
  const cases: [string, TftpOption[], TftpOption[] | null][] = [
    ['blksize 7 (below RFC 2348)', [{ name: 'blksize', value: '7' }], null],
    ['blksize 65465 (above RFC 2348)', [{ name: 'blksize', value: '65465' }, { name: 'tsize', value: '0' }], [{ name: 'tsize', value: '5000' }]],
    ['a 20-digit blksize', [{ name: 'blksize', value: '99999999999999999999' }], null],
    ['blksize "1e3"', [{ name: 'blksize', value: '1e3' }], null],
    ['windowsize 0', [{ name: 'windowsize', value: '0' }], null],
    ['windowsize 65536', [{ name: 'windowsize', value: '65536' }], null],
    ['timeout 0', [{ name: 'timeout', value: '0' }], null],
    ['timeout 256', [{ name: 'timeout', value: '256' }], null],
    ['tsize -1', [{ name: 'tsize', value: '-1' }], null],
    ['tsize "enable" (atftp\'s quirk)', [{ name: 'tsize', value: 'enable' }], null],
    ['an unknown option', [{ name: 'multicast', value: '' }, { name: 'blksize', value: '1024' }], [{ name: 'blksize', value: '1024' }]],
    ['a repeated option', [{ name: 'blksize', value: '1024' }, { name: 'blksize', value: '4096' }], [{ name: 'blksize', value: '1024' }]],
  ];
  for (const [what, options, oack] of cases) {
    test(what, async () => {
      let fetched = null;
      const got = await linesOf(async () => { fetched = await fetchWithCodec(server.address.port, 'boot.bin', options); });
      const f = fetched as Awaited<ReturnType<typeof fetchWithCodec>> | null;
      assert.deepEqual(f?.data, boot);
      assert.deepEqual(f?.oack, oack);
      assert.equal(got.filter((l) => l.msg === 'tftp options ignored').length, 1, JSON.stringify(got));
    });
  }

  test('blksize and windowsize above the server limits are granted at the limits; uppercase names work', async () => {
    const options = [{ name: 'BLKSIZE', value: '65464' }, { name: 'WindowSize', value: '64' }, { name: 'TSIZE', value: '0' }];
    // The codec client acknowledges every block, so a window of 8 is served as lock-step ACKs.
    const f = await fetchWithCodec(server.address.port, 'boot.bin', options);
    assert.deepEqual(f.oack, [{ name: 'blksize', value: '8192' }, { name: 'tsize', value: '5000' }, { name: 'windowsize', value: '8' }]);
    assert.deepEqual(f.data, boot);
  });
});

describe('repeated and conflicting requests', () => {
  test('an RRQ sent twice from one port starts one transfer, and its first packet is sent again', async () => {
    const peer = await TftpPeer.open();
    try {
      const rrq = { opcode: TftpOpcode.ReadRequest, filename: 'boot.bin', mode: 'octet', options: [] } as const;
      await idle();
      const from = lines.length;
      peer.send(rrq, server.address.port);
      const first = await peer.next();
      peer.send(rrq, server.address.port);
      const again = await peer.next();
      assert.equal(first?.packet?.opcode, TftpOpcode.Data);
      assert.deepEqual(again?.bytes, first?.bytes, 'DATA 1 again');
      assert.equal(again?.port, first?.port, 'from the same transfer');
      peer.drain();
      // A third copy of the RRQ (the codec client's) still finds the same transfer, which then
      // runs to the end.
      const f = await fetchWithCodec(server.address.port, 'boot.bin', [], 3000, peer);
      assert.deepEqual(f.data, boot);
      await sleep(QUIET_MS);
      const msgs = lines.slice(from).map((l) => l.msg);
      assert.equal(msgs.filter((m) => m === 'tftp transfer started').length, 1, msgs.join(', '));
      assert.equal(msgs.filter((m) => m === 'tftp repeated request').length, 2, msgs.join(', '));
      assert.equal(msgs.filter((m) => m === 'tftp transfer complete').length, 1, msgs.join(', '));
    } finally {
      peer.close();
    }
  });

  test('another RRQ from the same port ends the first transfer and serves the new one', async () => {
    const peer = await TftpPeer.open();
    try {
      await idle();
      const from = lines.length;
      peer.send({ opcode: TftpOpcode.ReadRequest, filename: 'sub/inner.bin', mode: 'octet', options: [] }, server.address.port);
      assert.equal((await peer.next())?.packet?.opcode, TftpOpcode.Data);
      const f = await fetchWithCodec(server.address.port, 'boot.bin', [], 3000, peer);
      assert.deepEqual(f.data, boot);
      await sleep(QUIET_MS);
      const ended = lines.slice(from).filter((l) => l.msg === 'tftp transfer ended early');
      assert.deepEqual(ended.map((l) => [l['file'], l['outcome']]), [['sub/inner.bin', 'aborted']]);
    } finally {
      peer.close();
    }
  });

  test('garbage sent to a transfer\'s own port costs one line and the transfer goes on', async () => {
    const peer = await TftpPeer.open();
    try {
      await idle();
      peer.send({ opcode: TftpOpcode.ReadRequest, filename: 'boot.bin', mode: 'octet', options: [] }, server.address.port);
      const first = await peer.next();
      assert.equal(first?.packet?.opcode, TftpOpcode.Data);
      const tid = first?.port ?? 0;
      const got = await linesOf(() => peer.send(bytes(4, '\0'), tid), false);
      assertOneLine(got, 'tftp packet malformed', 20);
      const more = await linesOf(() => peer.send(bytes(1, 'x\0octet\0'), tid), false);
      assertOneLine(more, 'tftp packet unexpected in a transfer', 20);
      peer.drain();
      // ACK 1 and carry on by hand: blocks 2..10 of 512 bytes.
      const received = [Buffer.from(first?.packet?.opcode === TftpOpcode.Data ? first.packet.data : [])];
      for (let block = 1; ; block++) {
        peer.send({ opcode: TftpOpcode.Ack, block }, tid);
        let next = await peer.next();
        while (next?.packet?.opcode === TftpOpcode.Data && next.packet.block !== block + 1) next = await peer.next();
        assert.equal(next?.packet?.opcode, TftpOpcode.Data, `block ${block + 1}`);
        if (next?.packet?.opcode !== TftpOpcode.Data) return;
        received.push(Buffer.from(next.packet.data));
        if (next.packet.data.byteLength < 512) {
          peer.send({ opcode: TftpOpcode.Ack, block: block + 1 }, tid);
          break;
        }
      }
      assert.deepEqual(Buffer.concat(received), boot);
    } finally {
      peer.close();
    }
  });
});

describe('retransmission, giving up, and the bound on transfers', () => {
  let slow: TftpServer;
  let slowLines: LogLine[];

  before(async () => {
    const captured = captureLogger();
    slowLines = captured.lines;
    slow = await startTftpServer({
      host: '127.0.0.1', port: 0, root, maxTransfers: 2,
      timing: { initialRetransmitMs: 150, minRetransmitMs: 50, maxRetransmitMs: 300, retries: 3, oackRetransmitMs: 300 },
    }, captured.log);
  });
  after(() => slow?.close());

  test('a client that never ACKs gets the block 1 + retries times, then the transfer is given up with one line', async () => {
    const peer = await TftpPeer.open();
    try {
      peer.send({ opcode: TftpOpcode.ReadRequest, filename: 'boot.bin', mode: 'octet', options: [] }, slow.address.port);
      const copies = [];
      for (let got = await peer.next(1500); got !== null; got = await peer.next(1500)) copies.push(got);
      assert.equal(copies.length, 4, 'the first send and 3 retransmissions');
      assert.ok(copies.every((c) => c.packet?.opcode === TftpOpcode.Data && c.packet.block === 1));
      const ended = slowLines.filter((l) => l.msg === 'tftp transfer ended early');
      assert.deepEqual(ended.map((l) => l['outcome']), ['timed out']);
      assert.equal(slow.transfers, 0);
    } finally {
      peer.close();
    }
  });

  test('an OACK the client does not answer is sent again (after oackRetransmitMs); ACK 0 then starts the data', async () => {
    const peer = await TftpPeer.open();
    try {
      peer.send({ opcode: TftpOpcode.ReadRequest, filename: 'boot.bin', mode: 'octet', options: [{ name: 'blksize', value: '1024' }] }, slow.address.port);
      const oack = await peer.next();
      const again = await peer.next(1000);
      assert.equal(oack?.packet?.opcode, TftpOpcode.OptionAck);
      assert.deepEqual(again?.bytes, oack?.bytes, 'the OACK again after the timeout');
      peer.drain();
      peer.send({ opcode: TftpOpcode.Ack, block: 0 }, oack?.port ?? 0);
      const data = await peer.next();
      assert.equal(data?.packet?.opcode, TftpOpcode.Data);
      assert.equal(data?.packet?.opcode === TftpOpcode.Data ? data.packet.data.byteLength : 0, 1024);
    } finally {
      peer.close();
    }
  });

  test('beyond maxTransfers a request is dropped with one line; once a slot frees, the client is served', async () => {
    await sleep(2000); // the previous test's transfer times out
    const stalled = [await TftpPeer.open(), await TftpPeer.open()];
    const third = await TftpPeer.open();
    try {
      for (const p of stalled) {
        p.send({ opcode: TftpOpcode.ReadRequest, filename: 'boot.bin', mode: 'octet', options: [] }, slow.address.port);
        assert.equal((await p.next())?.packet?.opcode, TftpOpcode.Data);
      }
      const from = slowLines.length;
      third.send(encodeTftpPacket({ opcode: TftpOpcode.ReadRequest, filename: 'boot.bin', mode: 'octet', options: [] }), slow.address.port);
      assert.equal(await third.next(400), null, 'dropped: no answer');
      assert.deepEqual(slowLines.slice(from).filter((l) => l.msg.startsWith('tftp busy')).map((l) => l.msg), ['tftp busy, request dropped']);
      // The stalled transfers give up within 1 + 3 retries of ≤ 300 ms; then the client's retry works.
      await sleep(1800);
      const f = await fetchWithCodec(slow.address.port, 'boot.bin', [], 3000, third);
      assert.deepEqual(f.data, boot);
    } finally {
      for (const p of [...stalled, third]) p.close();
    }
  });
});

describe('a flood of random and mutated datagrams', () => {
  test('3,000 datagrams: at most one line each, and the server still serves', async () => {
    const peer = await TftpPeer.open();
    const from = lines.length;
    let seed = 99;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    const templates = [bytes(1, 'boot.bin\0octet\0blksize\x001468\0'), bytes(2, 'x\0octet\0'), bytes(4, '\0\x01'), bytes(5, '\0\x01e\0')];
    try {
      for (let i = 0; i < 3000; i++) {
        const base = templates[i % templates.length] as Uint8Array;
        const d = i % 3 === 0 ? randomBytes(rnd(40)) : Buffer.from(base);
        if (i % 3 !== 0 && d.byteLength > 0) d[rnd(d.byteLength)] = rnd(256);
        peer.send(i % 5 === 0 ? d.subarray(0, rnd(d.byteLength + 1)) : d, server.address.port);
        if (i % 200 === 199) await sleep(20);
      }
      await sleep(2000);
      assert.ok(lines.length - from <= 3000 + 3000, `${lines.length - from} lines`);
      const perPacket = lines.slice(from).filter((l) => !['tftp transfer started', 'tftp transfer complete', 'tftp transfer ended early', 'tftp options ignored'].includes(l.msg));
      assert.ok(perPacket.length <= 3000, `${perPacket.length} lines for 3000 datagrams`);
    } finally {
      peer.close();
    }
    await serverStillServes();
  });
});
