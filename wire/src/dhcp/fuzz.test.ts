import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWireError } from '../wire-error.js';
import { DhcpOption } from './options.js';
import * as values from './option-values.js';
import { BootpOp, DHCP_MAX_LENGTH, decodeDhcpPacket, encodeDhcpPacket, type DhcpPacket } from './packet.js';
import { describeBootClient, readPxeVendorOptions } from './pxe.js';
import { routeReply } from './reply-route.js';
import { mulberry32, int, pick, randomBytes, hex, type Rng } from '../fuzz-random.js';

/*
 * Bounded, deterministic fuzzing of the DHCP codec. Every input must either decode to a packet
 * whose every typed accessor returns a value or throws WireError, and that re-encodes to bytes
 * that decode to the same packet; or throw WireError. Anything else (RangeError, TypeError, a
 * hang) fails and prints the seed, the input in hex and the mutation that produced it.
 */

const SEED = 0xd4c9_5eed;
const RANDOM_INPUTS = 30_000;
const MUTATED_INPUTS = 100_000;
const TIME_LIMIT_MS = 90_000;

const CODES = [1, 3, 6, 12, 43, 50, 51, 52, 53, 54, 55, 57, 60, 61, 66, 67, 77, 93, 94, 97, 175, 200];

/** A plausible request: random header, a handful of options of plausible and odd lengths. */
function randomPacket(rng: Rng): DhcpPacket {
  const ip = (): string => (rng() < 0.5 ? '0.0.0.0' : `${int(rng, 0, 255)}.${int(rng, 0, 255)}.${int(rng, 0, 255)}.${int(rng, 0, 255)}`);
  const options = new Map<number, Uint8Array>();
  options.set(DhcpOption.MessageType, Uint8Array.of(int(rng, 1, 8)));
  for (let k = int(rng, 0, 8); k > 0; k--) {
    const code = pick(rng, CODES);
    if (code === DhcpOption.OptionOverload) continue;
    const length = rng() < 0.1 ? int(rng, 256, 600) : pick(rng, [1, 2, 3, 4, 5, 8, 17, int(rng, 0, 40)]);
    options.set(code, randomBytes(rng, length));
  }
  const hlen = int(rng, 0, 16);
  return {
    op: pick(rng, [BootpOp.Request, BootpOp.Reply]), htype: pick(rng, [1, 6, 32]), hlen, hops: int(rng, 0, 3),
    xid: Math.floor(rng() * 2 ** 32), secs: int(rng, 0, 65535), flags: pick(rng, [0, 0x8000]),
    ciaddr: ip(), yiaddr: ip(), siaddr: ip(), giaddr: ip(), chaddr: randomBytes(rng, 16),
    sname: rng() < 0.8 ? '' : 'boot', file: rng() < 0.7 ? '' : 'undionly.kpxe', options,
  };
}

/** Mutations that stress the length and structure paths: bit flips, cuts, splices, lying lengths. */
function mutate(rng: Rng, input: Uint8Array): [Uint8Array, string] {
  const n = input.byteLength;
  const at = int(rng, 0, Math.max(0, n - 1));
  switch (int(rng, 0, 7)) {
    case 0: { const b = input.slice(); b[at] = (b[at] ?? 0) ^ (1 << int(rng, 0, 7)); return [b, `flip bit at ${at}`]; }
    case 1: { const b = input.slice(); b[at] = pick(rng, [0, 1, 52, 53, 255, int(rng, 0, 255)]); return [b, `set byte ${at}`]; }
    case 2: { const len = int(rng, 0, n); return [input.slice(0, len), `truncate to ${len}`]; }
    case 3: {
      // An option length byte (somewhere after the cookie) set to a lie.
      const b = input.slice();
      const p = int(rng, 241, Math.max(241, n - 1));
      b[p] = pick(rng, [0, 1, 3, 4, 200, 255]);
      return [b, `length lie at ${p}`];
    }
    case 4: {
      // Overload 52 prepended to the options, pointing at whatever the file/sname fields hold.
      if (n < 240) return [input, 'insert option 52 (too short: unchanged)'];
      const b = new Uint8Array(n + 3);
      b.set(input.subarray(0, 240));
      b.set([52, 1, int(rng, 0, 4)], 240);
      b.set(input.subarray(240), 243);
      return [b, 'insert option 52'];
    }
    case 5: { const extra = randomBytes(rng, int(rng, 1, 64)); const b = new Uint8Array(n + extra.byteLength); b.set(input); b.set(extra, n); return [b, `append ${extra.byteLength}`]; }
    case 6: { const b = input.slice(); b.set(randomBytes(rng, Math.min(16, n - at)), at); return [b, `scramble 16 at ${at}`]; }
    default: { const b = new Uint8Array(DHCP_MAX_LENGTH + int(rng, 0, 2)); b.set(input.subarray(0, b.byteLength)); return [b, `grow to ${b.byteLength}`]; }
  }
}

/** Runs `fn`; a WireError is an accepted outcome, anything else is rethrown. */
function wireOrValue(fn: () => unknown): void {
  try { fn(); } catch (err) { if (!isWireError(err)) throw err; }
}

const ACCESSORS: ((o: DhcpPacket['options']) => unknown)[] = [
  values.readMessageType, values.readServerIdentifier, values.readRequestedAddress, values.readSubnetMask, values.readRouters,
  values.readDnsServers, values.readLeaseTime, values.readHostName, values.readVendorClass, values.readTftpServerName,
  values.readBootfileName, values.readParameterRequestList, values.readMaxMessageSize, values.readClientIdentifier,
  values.readUserClass, describeBootClient, readPxeVendorOptions,
];

/** Throws unless `bytes` decodes (and everything read from it behaves) or fails with a WireError. */
function check(bytes: Uint8Array): void {
  let packet: DhcpPacket;
  try { packet = decodeDhcpPacket(bytes); } catch (err) { if (isWireError(err)) return; throw err; }
  for (const read of ACCESSORS) wireOrValue(() => read(packet.options));
  routeReply(packet);
  let again: Uint8Array;
  try { again = encodeDhcpPacket(packet); } catch (err) {
    // A decoded sname/file can hold 64/128 bytes with no NUL; the encoder keeps one NUL.
    if (isWireError(err) && (err.field === 'sname' || err.field === 'file')) return;
    throw err;
  }
  const back = decodeDhcpPacket(again);
  assert.deepEqual({ ...back, options: new Map([...back.options].sort(([a], [b]) => a - b)) }, {
    ...packet, options: new Map([...packet.options].filter(([c]) => c !== DhcpOption.OptionOverload).sort(([a], [b]) => a - b)),
  });
}

test(`DHCP codec survives ${RANDOM_INPUTS} random and ${MUTATED_INPUTS} mutated inputs`, { timeout: TIME_LIMIT_MS + 30_000 }, () => {
  const rng = mulberry32(SEED);
  const deadline = Date.now() + TIME_LIMIT_MS;
  const corpus = Array.from({ length: 64 }, () => encodeDhcpPacket(randomPacket(rng)));
  let decoded = 0;
  const run = (bytes: Uint8Array, what: string): void => {
    try { check(bytes); } catch (err) {
      assert.fail(`seed ${SEED.toString(16)}: ${what}: ${(err as Error).stack ?? String(err)}\ninput ${hex(bytes)}`);
    }
  };
  for (let i = 0; i < RANDOM_INPUTS; i++) {
    // Mostly header-sized inputs with a real cookie, so the option parser sees random bytes.
    const bytes = randomBytes(rng, int(rng, 0, 700));
    if (bytes.byteLength >= 240 && rng() < 0.8) bytes.set([99, 130, 83, 99], 236);
    if (bytes.byteLength >= 3 && rng() < 0.8) { bytes[0] = 1; bytes[2] = int(rng, 0, 16); }
    run(bytes, `random #${i}`);
  }
  for (let i = 0; i < MUTATED_INPUTS; i++) {
    let bytes = pick(rng, corpus);
    const steps: string[] = [];
    for (let k = rng() < 0.7 ? 1 : int(rng, 2, 4); k > 0; k--) {
      const [next, what] = mutate(rng, bytes);
      bytes = next;
      steps.push(what);
    }
    run(bytes, `mutation #${i}: ${steps.join(', ')}`);
    try { decodeDhcpPacket(bytes); decoded += 1; } catch { /* counted only */ }
    if (Date.now() > deadline) assert.fail(`fuzzing took over ${TIME_LIMIT_MS} ms (at mutation ${i})`);
  }
  // The mutations must leave enough inputs valid to exercise the accessors and the encoder.
  assert.ok(decoded > MUTATED_INPUTS / 10, `only ${decoded} mutated inputs decoded`);
});
