import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig, silentLogger, startServer, type RunningServer } from '@rackcast/server';
import { parseJson, runCli, type CliResult } from './helpers/rackcast-cli.js';
import { writeSyntheticDisk } from './helpers/synthetic-disk.js';
import { tempDir } from './helpers/temp-dir.js';

const MiB = 1024 * 1024;
const exec = promisify(execFile);
const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');

function refused(result: CliResult, code: string): void {
  assert.equal(result.code, 1, `expected a refusal, got exit ${result.code}: ${result.stdout} ${result.stderr}`);
  assert.match(result.stderr, new RegExp(`rackcast: ${code}: \\S`), result.stderr);
}

/**
 * Each bad input gets a clear error with a stable code, nothing in the store is lost, and a
 * running server keeps serving. Run twice: with the store opened by the CLI itself, and with
 * a server holding the store (the CLI then works through the server's API).
 */
for (const mode of ['without server', 'with server'] as const) {
  describe(`bad input, ${mode}`, () => {
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let env: Record<string, string>;
    let server: RunningServer | null = null;
    let good: string;
    let goodSha: string;

    async function storeIsIntact(): Promise<void> {
      if (server) {
        const health = await fetch(`${server.url}/api/health`);
        assert.equal(health.status, 200, 'server keeps serving');
      }
      const versions = parseJson<{ version: number }[]>(await runCli(['image', 'versions', 'golden', '--json'], env));
      assert.deepEqual(versions.map((v) => v.version), [1]);
      const out = join(dir.path, `check-${Date.now()}.img`);
      const exported = await runCli(['image', 'export', 'golden@1', out], env);
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(await sha(out), goodSha);
    }

    before(async () => {
      dir = await tempDir('bad');
      env = { RACKCAST_STORE_DIR: join(dir.path, 'store') };
      good = join(dir.path, 'good.img');
      await writeSyntheticDisk(good, 24 * MiB, [[MiB, 5 * MiB, 3], [16 * MiB, 2 * MiB, 4]]);
      goodSha = await sha(good);
      const imported = await runCli(['image', 'import', good, '--name', 'golden'], env);
      assert.equal(imported.code, 0, imported.stderr);
      if (mode === 'with server') {
        server = await startServer(loadConfig(undefined, { ...env, RACKCAST_HTTP_PORT: '0' }), silentLogger());
        const listed = parseJson<{ name: string }[]>(await runCli(['image', 'list', '--json'], env));
        assert.deepEqual(listed.map((i) => i.name), ['golden'], 'the CLI reaches the store through the server');
      }
    });
    after(async () => {
      await server?.stop();
      await dir.remove();
    });

    test('a truncated qcow2 is refused as unreadable', async () => {
      const qcow = join(dir.path, 'trunc.qcow2');
      await exec('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', good, qcow]);
      await truncate(qcow, Math.floor((await stat(qcow)).size / 2));
      refused(await runCli(['image', 'import', qcow, '--name', 'fromqcow'], env), 'RC_ERR_IMPORT_UNREADABLE');
      await storeIsIntact();
    });

    test('files that are not disk images are refused', async () => {
      const text = join(dir.path, 'notes.txt');
      await writeFile(text, 'hello, this is not a disk\n'.repeat(40));
      refused(await runCli(['image', 'import', text, '--name', 'notes'], env), 'RC_ERR_IMPORT_NOT_AN_IMAGE');
      const aligned = join(dir.path, 'aligned.bin');
      await writeFile(aligned, Buffer.alloc(8192, 0x41));
      refused(await runCli(['image', 'import', aligned, '--name', 'aligned'], env), 'RC_ERR_IMPORT_NOT_AN_IMAGE');
      refused(await runCli(['image', 'import', join(dir.path, 'absent.img'), '--name', 'absent'], env), 'RC_ERR_IMPORT_FILE_NOT_FOUND');
      refused(await runCli(['image', 'import', dir.path, '--name', 'folder'], env), 'RC_ERR_IMPORT_NOT_AN_IMAGE');
      await storeIsIntact();
    });

    test('names with path characters are refused', async () => {
      for (const name of ['../evil', 'a/b', 'x@2', '..']) {
        refused(await runCli(['image', 'import', good, '--name', name], env), 'RC_ERR_STORE_BAD_NAME');
      }
      refused(await runCli(['image', 'export', '../golden@1', join(dir.path, 'x.img')], env), 'RC_ERR_STORE_BAD_NAME');
      await storeIsIntact();
    });

    test('a missing version or image is refused and names what exists', async () => {
      const missing = await runCli(['image', 'export', 'golden@7', join(dir.path, 'x.img')], env);
      refused(missing, 'RC_ERR_STORE_VERSION_NOT_FOUND');
      assert.match(missing.stderr, /versions: 1 \(/);
      refused(await runCli(['image', 'export', 'golden', join(dir.path, 'y.img'), '--at', '1999-01-01T00:00:00Z'], env), 'RC_ERR_STORE_VERSION_NOT_FOUND');
      refused(await runCli(['image', 'versions', 'nosuch'], env), 'RC_ERR_STORE_IMAGE_NOT_FOUND');
      refused(await runCli(['image', 'rm', 'golden@9'], env), 'RC_ERR_STORE_VERSION_NOT_FOUND');
      refused(await runCli(['image', 'export', 'golden@one', join(dir.path, 'z.img')], env), 'RC_ERR_STORE_BAD_VERSION');
      await storeIsIntact();
    });

    test('a damaged block file is found by verify and never exported silently', async () => {
      const blocksDir = join(dir.path, 'store', 'blocks');
      const { stdout } = await exec('find', [blocksDir, '-type', 'f']);
      const victim = stdout.trim().split('\n').sort()[0] ?? '';
      const original = await readFile(victim);
      const damaged = Buffer.from(original);
      damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 0x5a;
      await writeFile(victim, damaged);
      try {
        const out = join(dir.path, 'damaged-export.img');
        refused(await runCli(['image', 'export', 'golden@1', out], env), 'RC_ERR_STORE_BLOCK_DAMAGED');
        await assert.rejects(stat(out), 'no output file is left behind');
        await assert.rejects(stat(`${out}.partial`), 'no partial file is left behind');
        const verify = await runCli(['store', 'verify', '--json'], env);
        assert.equal(verify.code, 2, 'verify exits 2 when it finds damage');
        const report = parseJson<{ ok: boolean; problems: { kind: string; image: string; version: number; block: number }[] }>(verify);
        assert.equal(report.ok, false);
        assert.equal(report.problems.length, 1);
        assert.deepEqual([report.problems[0]?.kind, report.problems[0]?.image, report.problems[0]?.version], ['block-damaged', 'golden', 1]);
        if (server) assert.equal((await fetch(`${server.url}/api/health`)).status, 200, 'server keeps serving');
      } finally {
        await writeFile(victim, original);
      }
      await storeIsIntact();
      assert.equal(parseJson<{ ok: boolean }>(await runCli(['store', 'verify', '--json'], env)).ok, true);
    });
  });
}
