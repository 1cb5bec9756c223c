import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BlockEncoding, BlockSet, decodeBaseFingerprints, diffAgainstFingerprints, encodeBlockFrame, encodeManifest, encodeManifestDelta, HashAlgorithm,
  type BlockEntry, type Manifest,
} from '@rackcast/wire';
import { hasCode } from '../errors.js';
import { silentLogger } from '../log.js';
import { collectGarbage, hashBlock, ImageStore, verifyStore } from '../store/index.js';
import { CaptureRegistry } from './capture-registry.js';

const BLOCK = 64 * 1024;
const CONFIG = {
  schema: 1, capturedAt: '2025-02-03T08:15:00.000Z', hostname: 'web-07', firmwareMode: 'bios', disk: { path: '/dev/sda', sizeBytes: 16 * BLOCK },
  partitionTable: null, filesystems: [], interfaces: [], bootEntries: null, problems: [],
};

function block(seed: number): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = (seed * 31 + i * (i % 13)) & 0xff;
  return out;
}

function manifestOf(seeds: readonly number[]): { manifest: Manifest; data: Map<string, Buffer> } {
  const data = new Map<string, Buffer>();
  const blocks: BlockEntry[] = seeds.map((seed, index) => {
    const raw = block(seed);
    const hash = hashBlock(raw);
    data.set(Buffer.from(hash).toString('hex'), raw);
    return { index, offset: index * BLOCK, length: BLOCK, hash };
  });
  return { manifest: { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: BLOCK, diskSize: 16 * BLOCK, partitionTable: { head: new Uint8Array(0), tail: new Uint8Array(0) }, blocks }, data };
}

const frame = (raw: Buffer): Uint8Array => encodeBlockFrame({ encoding: BlockEncoding.Raw, rawLength: raw.byteLength, payload: raw });

describe('CaptureRegistry over a real store', () => {
  let dir: string;
  let store: ImageStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rc-capture-'));
    store = await ImageStore.open({ dir, blockSize: BLOCK, keepVersions: 0 });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a server restart mid-upload: the token still works, a re-offer adopts the verified blocks already stored', async () => {
    const { token } = await new CaptureRegistry(store, silentLogger()).create({ image: 'web', machine: '52-54-00-AA-BB-CC' });
    const { manifest, data } = manifestOf([1, 2, 3, 2, 4]);
    const first = new CaptureRegistry(store, silentLogger());
    const session = await first.byToken(token);
    const reply = await session.offer(encodeManifest(manifest));
    const missing = BlockSet.fromBase64(5, reply.missingBitmap);
    assert.deepStrictEqual([0, 1, 2, 3, 4].filter((i) => missing.has(i)), [0, 1, 2, 4], 'the repeated block is asked for once');
    for (const i of [0, 1]) {
      const hex = Buffer.from(manifest.blocks[i]?.hash ?? []).toString('hex');
      assert.deepStrictEqual(await session.upload(hex, frame(data.get(hex) ?? Buffer.alloc(0))), { stored: true, missing: 3 - i });
    }

    // "Restart": a new registry over the same store knows the capture by its token, not its offer.
    const second = new CaptureRegistry(store, silentLogger());
    const again = await second.byToken(token);
    await assert.rejects(again.upload('00'.repeat(32), frame(block(9))), (err: Error) => hasCode(err, 'RC_ERR_CAPTURE_NOT_OFFERED'));
    const reoffer = await again.offer(encodeManifest(manifest));
    assert.equal(reoffer.offer.missing, 2, 'blocks 0 and 1 were re-verified and adopted');
    for (const i of [2, 4]) {
      const hex = Buffer.from(manifest.blocks[i]?.hash ?? []).toString('hex');
      await again.upload(hex, frame(data.get(hex) ?? Buffer.alloc(0)));
    }
    const version = await again.commit({ config: CONFIG, profile: null });
    assert.equal(version.version, 1);
    assert.equal(version.newBlocks, 4);
    assert.deepStrictEqual(version.source, { kind: 'capture', capture: 1, offer: 'full', machine: '52:54:00:aa:bb:cc' });
    await assert.rejects(again.offer(encodeManifest(manifest)), (err: Error) => hasCode(err, 'RC_ERR_CAPTURE_CLOSED'));
    await assert.rejects(second.byToken('nope'), (err: Error) => hasCode(err, 'RC_ERR_CAPTURE_BAD_TOKEN'));
  });

  test('a delta against the newest version composes without uploads of unchanged blocks; a vanished base is refused', async () => {
    const registry = new CaptureRegistry(store, silentLogger());
    const { token } = await registry.create({ image: 'web' });
    const session = await registry.byToken(token);
    const { manifest, data } = manifestOf([1, 2, 30, 4]);
    const prints = decodeBaseFingerprints(await registry.fingerprints(session));
    const delta = diffAgainstFingerprints(prints, manifest);
    const reply = await session.offer(encodeManifestDelta(delta));
    // Offset 3 held block 2 in the base and holds block 4 now: new to the version, already in the store.
    assert.deepStrictEqual({ ...reply.offer }, { kind: 'delta', baseVersion: 1, blocks: 4, offered: 2, missing: 1, reused: 2, dropped: 3 });
    const hex = Buffer.from(manifest.blocks[2]?.hash ?? []).toString('hex');
    await session.upload(hex, frame(data.get(hex) ?? Buffer.alloc(0)));
    const version = await session.commit({ config: CONFIG, profile: null });
    assert.deepStrictEqual(encodeManifest(await store.readManifest(version)), encodeManifest(manifest), 'the synthetic full version is exactly the offered disk');

    const stale = await registry.byToken((await registry.create({ image: 'web' })).token);
    const old = diffAgainstFingerprints(prints, manifest);
    await store.removeVersion('web', 1);
    await assert.rejects(stale.offer(encodeManifestDelta(old)), (err: Error) => hasCode(err, 'RC_ERR_CAPTURE_BASE_CHANGED'));
  });

  test('a delta holds the base blocks it reuses: retention and gc during the upload cannot take them, the commit succeeds', async () => {
    const registry = new CaptureRegistry(store, silentLogger());
    const first = await registry.byToken((await registry.create({ image: 'db' })).token);
    const base = manifestOf([11, 12, 13, 14]);
    const full = await first.offer(encodeManifest(base.manifest));
    const wanted = BlockSet.fromBase64(base.manifest.blocks.length, full.missingBitmap);
    for (const [i, b] of base.manifest.blocks.entries()) {
      if (!wanted.has(i)) continue;
      const hex = Buffer.from(b.hash).toString('hex');
      await first.upload(hex, frame(base.data.get(hex) ?? Buffer.alloc(0)));
    }
    await first.commit({ config: CONFIG, profile: null });

    const second = await registry.byToken((await registry.create({ image: 'db' })).token);
    const next = manifestOf([11, 12, 13, 15]);
    const reply = await second.offer(encodeManifestDelta(diffAgainstFingerprints(decodeBaseFingerprints(await registry.fingerprints(second)), next.manifest)));
    assert.equal(reply.offer.reused, 3);
    // The base goes (retention) and gc runs while the agent is still uploading.
    await store.removeVersion('db', 1);
    await collectGarbage(store);
    const hex = Buffer.from(next.manifest.blocks[3]?.hash ?? []).toString('hex');
    await second.upload(hex, frame(next.data.get(hex) ?? Buffer.alloc(0)));
    const version = await second.commit({ config: CONFIG, profile: null });
    assert.deepStrictEqual(encodeManifest(await store.readManifest(version)), encodeManifest(next.manifest));
    assert.equal((await verifyStore(store)).ok, true, 'every block of the new version is in the store');
  });

  test('offers of another block size, or neither manifest nor delta, are refused', async () => {
    const registry = new CaptureRegistry(store, silentLogger());
    const session = await registry.byToken((await registry.create({ image: 'other' })).token);
    const { manifest } = manifestOf([1]);
    await assert.rejects(session.offer(encodeManifest({ ...manifest, blockSize: 2 * BLOCK, diskSize: 32 * BLOCK })), (err: Error) => hasCode(err, 'RC_ERR_CAPTURE_BAD_OFFER'));
    await assert.rejects(session.offer(new Uint8Array(100)), (err: Error) => hasCode(err, 'RC_ERR_CAPTURE_BAD_OFFER'));
    await assert.rejects(registry.create({ image: 'x', machine: 'not-a-mac' }), (err: Error) => hasCode(err, 'RC_ERR_BAD_REQUEST'));
  });
});
