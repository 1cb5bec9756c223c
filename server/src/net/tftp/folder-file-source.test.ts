import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCode, type RackcastErrorCode } from '../../errors.js';
import { BlockReader } from './block-reader.js';
import { FolderFileSource } from './folder-file-source.js';

let top: string;
let root: string;
const small = randomBytes(3000);
const big = randomBytes(3 * 1024 * 1024 + 1234);

before(async () => {
  top = await mkdtemp(join(tmpdir(), 'rackcast-tftp-src-'));
  root = join(top, 'root');
  await mkdir(join(root, 'efi'), { recursive: true });
  await mkdir(join(top, 'outside'));
  await writeFile(join(root, 'undionly.kpxe'), small);
  await writeFile(join(root, 'efi', 'ipxe.efi'), small.subarray(0, 100));
  await writeFile(join(root, 'big.bin'), big);
  await writeFile(join(top, 'outside', 'secret'), 'secret\n');
  await writeFile(join(top, 'outside', 'allowed.efi'), 'allowed\n');
  await symlink('undionly.kpxe', join(root, 'alias.kpxe'));
  await symlink('../outside/secret', join(root, 'escape'));
  await symlink(join(top, 'outside'), join(root, 'outdir'));
  await symlink(join(top, 'outside', 'allowed.efi'), join(root, 'linked.efi'));
  await symlink('loop-b', join(root, 'loop-a'));
  await symlink('loop-a', join(root, 'loop-b'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
});
after(() => rm(top, { recursive: true, force: true }));

async function refusal(source: FolderFileSource, name: string): Promise<RackcastErrorCode> {
  const err: unknown = await source.open(name).then(() => assert.fail(`${name} opened`), (e: unknown) => e);
  for (const code of ['RC_ERR_TFTP_FILE_NOT_FOUND', 'RC_ERR_TFTP_ACCESS_DENIED'] as const) if (hasCode(err, code)) return code;
  throw err;
}

describe('FolderFileSource', () => {
  test('serves files inside the folder, also through links that stay inside and with a leading slash', async () => {
    const source = await FolderFileSource.create({ root });
    for (const name of ['undionly.kpxe', '/undionly.kpxe', 'alias.kpxe', '//efi/./ipxe.efi']) {
      const file = await source.open(name);
      assert.deepEqual(Buffer.from(file.bytes ?? []), name.includes('efi') ? small.subarray(0, 100) : small, name);
      await file.close();
    }
  });

  test('refuses traversal, links leading out, absolute paths outside, loops; special files are not found', async () => {
    const source = await FolderFileSource.create({ root });
    const cases: [string, RackcastErrorCode][] = [
      ['../outside/secret', 'RC_ERR_TFTP_ACCESS_DENIED'],
      ['efi/../../outside/secret', 'RC_ERR_TFTP_ACCESS_DENIED'],
      ['escape', 'RC_ERR_TFTP_ACCESS_DENIED'],
      ['outdir/secret', 'RC_ERR_TFTP_ACCESS_DENIED'],
      ['linked.efi', 'RC_ERR_TFTP_ACCESS_DENIED'],
      ['loop-a', 'RC_ERR_TFTP_ACCESS_DENIED'],
      ['..\\outside\\secret', 'RC_ERR_TFTP_ACCESS_DENIED'],
      [join(top, 'outside', 'secret'), 'RC_ERR_TFTP_FILE_NOT_FOUND'],
      ['missing', 'RC_ERR_TFTP_FILE_NOT_FOUND'],
      ['undionly.kpxe/x', 'RC_ERR_TFTP_FILE_NOT_FOUND'],
      ['efi', 'RC_ERR_TFTP_FILE_NOT_FOUND'],
      ['fifo', 'RC_ERR_TFTP_FILE_NOT_FOUND'],
      ['/', 'RC_ERR_TFTP_FILE_NOT_FOUND'],
    ];
    for (const [name, code] of cases) assert.equal(await refusal(source, name), code, name);
  });

  test('a link to a listed target outside the folder is served (Debian: ipxe.efi → /boot/ipxe.efi)', async () => {
    const source = await FolderFileSource.create({ root, linkTargets: [join(top, 'outside', 'allowed.efi'), join(top, 'missing.efi')] });
    const file = await source.open('linked.efi');
    assert.equal(Buffer.from(file.bytes ?? []).toString(), 'allowed\n');
    assert.equal(await refusal(source, 'escape'), 'RC_ERR_TFTP_ACCESS_DENIED', 'other links still refused');
  });

  test('a missing root is a configuration error', async () => {
    await assert.rejects(FolderFileSource.create({ root: join(top, 'nope') }), (err: unknown) => hasCode(err, 'RC_ERR_CONFIG_INVALID'));
    await assert.rejects(FolderFileSource.create({ root: join(root, 'undionly.kpxe') }), (err: unknown) => hasCode(err, 'RC_ERR_CONFIG_INVALID'));
  });

  test('a file above the whole-file limit is read by position; every block comes out right, also after going back', async () => {
    const source = await FolderFileSource.create({ root, wholeFileLimit: 1024 * 1024 });
    const file = await source.open('big.bin');
    assert.equal(file.bytes, null);
    assert.equal(file.size, big.byteLength);
    for (const [blockSize, windowSize] of [[1468, 1], [8192, 4], [65464, 64]] as const) {
      const reader = new BlockReader(file, blockSize, windowSize);
      const last = Math.floor(big.byteLength / blockSize) + 1;
      const order = [...Array.from({ length: last }, (_, i) => i + 1), 3, 2, last, 1, Math.floor(last / 2)];
      for (const n of order) {
        const at = (n - 1) * blockSize;
        assert.deepEqual(Buffer.from(await reader.block(n)), big.subarray(at, at + blockSize), `block ${n} of ${blockSize}`);
      }
      assert.equal((await reader.block(last)).byteLength, big.byteLength % blockSize);
    }
    await file.close();
  });

  test('a file that shrinks during the transfer fails the read instead of sending a short file', async () => {
    const path = join(root, 'shrinks.bin');
    await writeFile(path, big);
    const source = await FolderFileSource.create({ root, wholeFileLimit: 0 });
    const file = await source.open('shrinks.bin');
    await truncate(path, 1000);
    await assert.rejects(new BlockReader(file, 512, 1).block(10) as Promise<Uint8Array>, /shrank/);
    await file.close();
  });
});
