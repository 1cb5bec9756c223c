import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { equalBytes } from '../equal-bytes.js';
import { WireError } from '../wire-error.js';
import { decodeNetascii, encodeNetascii } from './netascii.js';
import { TFTP_OPTION_RANGES, parseTftpOptions, type TftpOptionName } from './options.js';
import { TftpOpcode, decodeTftpPacket, encodeTftpPacket, type TftpOption, type TftpPacket } from './packet.js';
import { mulberry32, int, pick, hex, randomBytes, splice, type Rng } from '../fuzz-random.js';

/*
 * Bounded, deterministic fuzzing of the TFTP codec. Every input must either decode to a valid
 * packet that re-encodes to a packet decoding to the same value (and, for DATA, to the input
 * itself), or throw a WireError. The options of every decoded request then go through
 * parseTftpOptions, whose result must stay inside the RFC ranges. Anything else (RangeError,
 * TypeError, a hang) fails the test and prints the input in hex with the seed and mutation.
 */

const SEED = 0x7f7b_0001;
const RANDOM_INPUTS = 40_000;
const MUTATED_INPUTS = 100_000;
const NETASCII_INPUTS = 10_000;
const TIME_LIMIT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// A corpus of realistic packets and the strings mutations like to plant
// ---------------------------------------------------------------------------------------------

const NAMES = ['undionly.kpxe', 'ipxe.efi', 'snponly.efi', '../../etc/passwd', '/etc/passwd', 'a/b/c', 'x', 'sub/..\\..\\x'];
const OPTION_NAMES = ['blksize', 'BLKSIZE', 'tsize', 'timeout', 'windowsize', 'WindowSize', 'multicast', 'utimeout', 'rollover', '__proto__'];
const OPTION_VALUES = ['0', '1', '7', '8', '512', '1432', '1468', '8192', '65464', '65465', '65535', '65536', '255', '256', '-1', '', 'enable', '99999999999999999999', '1e3', ' 4'];

function randomOptions(rng: Rng, max: number): TftpOption[] {
  return Array.from({ length: int(rng, 0, max) }, () => ({ name: pick(rng, OPTION_NAMES).toLowerCase(), value: pick(rng, OPTION_VALUES) }));
}

function randomPacket(rng: Rng): TftpPacket {
  switch (int(rng, 1, 6)) {
    case 1:
    case 2:
      return { opcode: pick(rng, [TftpOpcode.ReadRequest, TftpOpcode.WriteRequest]), filename: pick(rng, NAMES), mode: pick(rng, ['octet', 'netascii', 'mail']), options: randomOptions(rng, 5) };
    case 3:
      return { opcode: TftpOpcode.Data, block: int(rng, 0, 0xffff), data: randomBytes(rng, pick(rng, [0, 1, 8, 100, 511, 512])) };
    case 4:
      return { opcode: TftpOpcode.Ack, block: int(rng, 0, 0xffff) };
    case 5:
      return { opcode: TftpOpcode.Error, code: int(rng, 0, 8), message: pick(rng, ['', 'File not found', 'Access violation']) };
    default:
      return { opcode: TftpOpcode.OptionAck, options: [{ name: 'blksize', value: '1468' }, ...randomOptions(rng, 3)] };
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

const PLANTS = [...OPTION_NAMES, ...OPTION_VALUES, 'octet', 'NETASCII', '..', '/', '\\'].map((s) => Uint8Array.from(Buffer.from(s, 'latin1')));

function mutateOnce(rng: Rng, input: Uint8Array): [Uint8Array, string] {
  const bytes = input.slice();
  const n = bytes.byteLength;
  const pos = (): number => int(rng, 0, Math.max(0, n - 1));
  switch (int(rng, 0, 8)) {
    case 0: {
      const p = pos();
      if (n > 0) bytes[p] = (bytes[p] ?? 0) ^ (1 << int(rng, 0, 7));
      return [bytes, `flip a bit at ${p}`];
    }
    case 1: {
      const p = pos();
      if (n > 0) bytes[p] = pick(rng, [0, 0, 0xff, int(rng, 0, 255)]);
      return [bytes, `set byte ${p}`];
    }
    case 2: {
      // Remove a NUL: the classic malformed request.
      const nul = bytes.indexOf(0, int(rng, 2, Math.max(2, n)));
      if (nul < 0) return [bytes.slice(0, Math.max(0, n - 1)), 'drop the last byte'];
      return [splice(bytes, nul, 1, new Uint8Array(0)), `remove the NUL at ${nul}`];
    }
    case 3: {
      const p = int(rng, 0, n);
      const plant = pick(rng, PLANTS);
      return [splice(bytes, p, 0, rng() < 0.5 ? plant : Uint8Array.from([...plant, 0])), `plant a string at ${p}`];
    }
    case 4: {
      const len = int(rng, 0, n);
      return [bytes.slice(0, len), `truncate to ${len}`];
    }
    case 5: {
      if (n >= 2) bytes[1] = pick(rng, [0, 1, 2, 3, 4, 5, 6, 7, 0xff]);
      if (n >= 1 && rng() < 0.2) bytes[0] = int(rng, 0, 255);
      return [bytes, `opcode ${bytes[0]}/${bytes[1]}`];
    }
    case 6: {
      const p = int(rng, 0, n);
      const k = int(rng, 1, 16);
      return [splice(bytes, p, 0, rng() < 0.5 ? new Uint8Array(k) : randomBytes(rng, k)), `insert ${k} at ${p}`];
    }
    case 7: {
      const p = int(rng, 0, n);
      const k = Math.min(int(rng, 1, 8), n - p);
      return [splice(bytes, p, k, new Uint8Array(0)), `delete ${k} at ${p}`];
    }
    default: {
      const p = pos();
      const k = Math.min(int(rng, 1, 24), n - p);
      return [splice(bytes, int(rng, 0, n), 0, bytes.slice(p, p + k)), `duplicate ${k} from ${p}`];
    }
  }
}

function mutate(rng: Rng, input: Uint8Array): [Uint8Array, string] {
  let bytes = input;
  const steps: string[] = [];
  for (let k = 0, rounds = rng() < 0.7 ? 1 : int(rng, 2, 4); k < rounds; k++) {
    const [next, what] = mutateOnce(rng, bytes);
    bytes = next;
    steps.push(what);
  }
  return [bytes, steps.join(', ')];
}

// ---------------------------------------------------------------------------------------------
// What a decoded packet must satisfy
// ---------------------------------------------------------------------------------------------

function checkText(s: string, what: string, lower: boolean): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0xff) throw new Error(`${what}: character ${c}`);
  }
  if (lower && s !== s.toLowerCase()) throw new Error(`${what} is not lowercased: ${s}`);
}

function checkOptions(options: readonly TftpOption[]): void {
  for (const o of options) {
    if (o.name === '') throw new Error('empty option name');
    checkText(o.name, 'option name', true);
    checkText(o.value, 'option value', false);
  }
  const parsed = parseTftpOptions(options);
  const taken = Object.entries(parsed.requested) as [TftpOptionName, number][];
  if (taken.length + parsed.problems.length !== options.length) throw new Error('options lost by parseTftpOptions');
  for (const [name, v] of taken) {
    const r = TFTP_OPTION_RANGES[name];
    if (!Number.isSafeInteger(v) || v < r.min || v > r.max) throw new Error(`${name}=${v} outside ${r.min}..${r.max}`);
  }
}

function checkPacket(p: TftpPacket, input: Uint8Array): void {
  switch (p.opcode) {
    case TftpOpcode.ReadRequest:
    case TftpOpcode.WriteRequest:
      if (p.filename === '' || p.mode === '') throw new Error('empty file name or mode');
      checkText(p.filename, 'filename', false);
      checkText(p.mode, 'mode', true);
      checkOptions(p.options);
      break;
    case TftpOpcode.Data:
      if (!equalBytes(encodeTftpPacket(p), input)) throw new Error('DATA does not re-encode to the input');
      break;
    case TftpOpcode.Ack:
      if (!equalBytes(encodeTftpPacket(p), input.subarray(0, 4))) throw new Error('ACK does not re-encode to its first 4 bytes');
      break;
    case TftpOpcode.Error:
      checkText(p.message, 'message', false);
      break;
    case TftpOpcode.OptionAck:
      if (p.options.length === 0) throw new Error('OACK without options');
      checkOptions(p.options);
      break;
    default:
      throw new Error(`opcode ${(p as { opcode: unknown }).opcode}`);
  }
  const again = encodeTftpPacket(p);
  if (again.byteLength > input.byteLength) throw new Error(`re-encoding is longer than the input: ${hex(again)}`);
  assert.deepStrictEqual(decodeTftpPacket(again), p.opcode === TftpOpcode.Data ? { ...p, data: new Uint8Array(p.data) } : p);
}

// ---------------------------------------------------------------------------------------------

describe('bounded fuzzing of the TFTP codec', () => {
  test(`decodeTftpPacket: ${RANDOM_INPUTS + MUTATED_INPUTS} random and mutated inputs throw only WireError`, (t) => {
    const rng = mulberry32(SEED);
    const corpus = Array.from({ length: 96 }, () => encodeTftpPacket(randomPacket(rng)));
    const started = Date.now();
    const codes = new Map<string, number>();
    const opcodes = new Map<number, number>();
    let inputs = 0;

    const check = (input: Uint8Array, kind: string): void => {
      if ((inputs & 1023) === 0 && Date.now() - started > TIME_LIMIT_MS) assert.fail(`fuzzing exceeded ${TIME_LIMIT_MS} ms after ${inputs} inputs`);
      inputs++;
      let p: TftpPacket;
      try {
        p = decodeTftpPacket(input);
      } catch (err) {
        if (err instanceof WireError) {
          codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
          return;
        }
        assert.fail(`${kind} (seed ${SEED}): decode threw ${err instanceof Error ? err.stack : String(err)}\ninput: ${hex(input)}`);
      }
      opcodes.set(p.opcode, (opcodes.get(p.opcode) ?? 0) + 1);
      try {
        checkPacket(p, input);
      } catch (err) {
        assert.fail(`${kind} (seed ${SEED}): decoded but invalid: ${err instanceof Error ? err.stack : String(err)}\ninput: ${hex(input)}`);
      }
    };

    for (let n = 0; n < RANDOM_INPUTS; n++) {
      const input = randomBytes(rng, rng() < 0.5 ? int(rng, 0, 16) : int(rng, 0, 200));
      // Most start with a real opcode, and many are mostly text with NULs, so decoding goes deep.
      if (input.byteLength >= 2 && rng() < 0.8) {
        input[0] = 0;
        input[1] = int(rng, 0, 7);
      }
      if (rng() < 0.5) for (let i = 2; i < input.byteLength; i++) input[i] = rng() < 0.15 ? 0 : int(rng, 0x2e, 0x7a);
      check(input, `random input #${n}`);
    }
    for (let n = 0; n < MUTATED_INPUTS; n++) {
      const [input, what] = mutate(rng, corpus[n % corpus.length] as Uint8Array);
      check(input, `mutated input #${n} (${what})`);
    }

    const list = (m: Map<unknown, number>): string => [...m].map(([k, v]) => `${String(k)}=${v}`).join(' ');
    t.diagnostic(`${inputs} inputs in ${Date.now() - started} ms; decoded by opcode: ${list(opcodes)}; ${list(codes)}`);
    assert.equal(inputs, RANDOM_INPUTS + MUTATED_INPUTS);
    for (const code of ['RC_ERR_WIRE_TRUNCATED', 'RC_ERR_WIRE_INVALID']) assert.ok((codes.get(code) ?? 0) > 1000, `the fuzzer rarely produced ${code}`);
    for (const op of [1, 2, 3, 4, 5, 6]) assert.ok((opcodes.get(op) ?? 0) > 500, `only ${opcodes.get(op) ?? 0} inputs decoded as opcode ${op}`);
  });

  test(`netascii: ${NETASCII_INPUTS} random inputs convert and convert back`, () => {
    const rng = mulberry32(SEED + 1);
    for (let n = 0; n < NETASCII_INPUTS; n++) {
      const input = rng() < 0.5 ? randomBytes(rng, int(rng, 0, 300)) : Uint8Array.from({ length: int(rng, 0, 64) }, () => pick(rng, [0, 0x0a, 0x0d, 0x41]));
      const wire = encodeNetascii(input);
      assert.ok(equalBytes(decodeNetascii(wire), input), `netascii round trip #${n}: ${hex(input)}`);
      decodeNetascii(input);
    }
  });
});
