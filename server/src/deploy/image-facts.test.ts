import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { HashAlgorithm, type Manifest } from '@rackcast/wire';
import { LINUX_TYPE, gptBytes } from './gpt-fixture.js';
import { gptBackupRange, usedEndOf } from './image-facts.js';

/*
 * The used end of an image: a GPT image's last block, holding only its backup table, does not
 * count (else no smaller target could ever be planned); any other byte in it does.
 */

const MIB = 2 ** 20;
const DISK = 8 * MIB;
const SECTORS = DISK / 512;

/** A manifest of 1 MiB blocks over an in-memory store; `blocks` maps offset to content. */
function imageOf(blocks: ReadonlyMap<number, Buffer>, head: Uint8Array): { manifest: Manifest; store: { readBlock(hash: Uint8Array): Promise<Buffer> } } {
  const byHash = new Map<string, Buffer>();
  const entries = [...blocks.entries()].sort(([a], [b]) => a - b).map(([offset, data], index) => {
    const hash = createHash('sha256').update(data).digest();
    byHash.set(hash.toString('hex'), data);
    return { index, offset, length: data.byteLength, hash: new Uint8Array(hash) };
  });
  const manifest: Manifest = { hashAlgorithm: HashAlgorithm.Blake3_256, blockSize: MIB, diskSize: DISK, partitionTable: { head, tail: new Uint8Array(0) }, blocks: entries };
  const readBlock = (hash: Uint8Array): Promise<Buffer> => Promise.resolve(byHash.get(Buffer.from(hash).toString('hex')) as Buffer);
  return { manifest, store: { readBlock } };
}

function gptImage(lastBlock: Buffer): { manifest: Manifest; store: { readBlock(hash: Uint8Array): Promise<Buffer> } } {
  const { head, tail } = gptBytes(SECTORS, [{ type: LINUX_TYPE, first: 2048, last: SECTORS - 34, name: 'root' }]);
  tail.copy(lastBlock, MIB - tail.byteLength);
  return imageOf(new Map([[0, Buffer.concat([head, Buffer.alloc(MIB - head.byteLength)])], [MIB, Buffer.alloc(MIB, 7)], [7 * MIB, lastBlock]]), head);
}

describe('usedEndOf', () => {
  test('GPT: a last block holding only the backup GPT does not count', async () => {
    const { manifest, store } = gptImage(Buffer.alloc(MIB));
    assert.equal(await usedEndOf(store, manifest, 'gpt'), 2 * MIB);
  });

  test('GPT: one data byte before the backup GPT makes the last block count', async () => {
    const last = Buffer.alloc(MIB);
    last[MIB - 33 * 512 - 1] = 1;
    const { manifest, store } = gptImage(last);
    assert.equal(await usedEndOf(store, manifest, 'gpt'), DISK);
  });

  test('MBR: the last block always counts', async () => {
    const { manifest, store } = gptImage(Buffer.alloc(MIB));
    assert.equal(await usedEndOf(store, manifest, 'mbr'), DISK);
  });

  test('backup range: from the header\'s AlternateLBA and entry array, else the last 33 sectors', () => {
    const { head } = gptBytes(SECTORS, []);
    assert.deepEqual(gptBackupRange(head, DISK), { start: DISK - 33 * 512, end: DISK });
    const withAlternate = Buffer.from(head);
    withAlternate.writeBigUInt64LE(BigInt(SECTORS - 1), 512 + 32);
    withAlternate.writeUInt32LE(256, 512 + 80);
    assert.deepEqual(gptBackupRange(withAlternate, DISK), { start: DISK - 65 * 512, end: DISK });
  });
});
