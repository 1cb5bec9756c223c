// Self-test of the preboot image's native addons (rackcast.selftest=1): loads each from
// /app/node_modules, as the agent bundle does, and runs it once. Prints "ok" or the failure.
import { createRequire } from 'node:module';

const appRequire = createRequire('/app/rackcast-agent.js');
// BLAKE3 of the empty input (the reference implementation's first test vector).
const BLAKE3_EMPTY = 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262';

try {
  const lz4 = appRequire('lz4-napi');
  const input = Buffer.from('rackcast preboot self-test '.repeat(64));
  const back = lz4.uncompressSync(lz4.compressSync(input));
  if (!Buffer.from(back).equals(input)) throw new Error('lz4-napi round trip changed the data');
  const { blake3 } = appRequire('@napi-rs/blake-hash');
  const digest = Buffer.from(blake3(Buffer.alloc(0))).toString('hex');
  if (digest !== BLAKE3_EMPTY) throw new Error(`blake3 of nothing gave ${digest}`);
  const ring = appRequire('@rackcast/datagram-ring');
  if (typeof ring.open !== 'function' || typeof ring.close !== 'function') throw new Error('@rackcast/datagram-ring loaded without open/close');
  process.stdout.write('ok\n');
} catch (err) {
  process.stdout.write(`${String(err instanceof Error ? err.message : err).split('\n')[0]}\n`);
  process.exitCode = 1;
}
