import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadConfig, silentLogger, startServer, type RunningServer } from '@rackcast/server';
import { apiAuth, type RoleHeaders } from './helpers/api-auth.js';
import { writeSyntheticDisk } from './helpers/synthetic-disk.js';
import { tempDir } from './helpers/temp-dir.js';

const MiB = 1024 * 1024;

describe('HTTP API', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: RunningServer;
  let disk: string;
  let firstBlocks = 0;
  let as: RoleHeaders;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const init: RequestInit = body === undefined ? { method, headers: as.operator } : { method, headers: { ...as.operator, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) };
    const res = await fetch(`${server.url}${path}`, init);
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }
  const errorCode = (json: Record<string, unknown>) => (json['error'] as { code: string }).code;

  before(async () => {
    dir = await tempDir('api');
    disk = join(dir.path, 'disk.img');
    await writeSyntheticDisk(disk, 16 * MiB, [[MiB, 3 * MiB, 1], [10 * MiB, MiB / 2, 2]]);
    const config = loadConfig(undefined, { RACKCAST_STORE_DIR: join(dir.path, 'store'), RACKCAST_HTTP_PORT: '0' });
    server = await startServer(config, silentLogger());
    as = await apiAuth(server);
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  test('health answers', async () => {
    const { status, json } = await api('GET', '/api/health');
    assert.equal(status, 200);
    assert.equal(json['status'], 'ok');
  });

  test('an empty store lists no images', async () => {
    assert.deepEqual((await api('GET', '/api/images')).json, { images: [] });
  });

  test('import creates versions that list, resolve and export byte-identical', async () => {
    const first = await api('POST', '/api/images/golden/versions', { file: disk });
    assert.equal(first.status, 201);
    firstBlocks = (first.json['version'] as { newBlocks: number }).newBlocks;
    const second = await api('POST', '/api/images/golden/versions', { file: disk });
    assert.equal((second.json['version'] as { newBlocks: number }).newBlocks, 0);
    const list = await api('GET', '/api/images');
    const images = list.json['images'] as { name: string; versionCount: number }[];
    assert.deepEqual(images.map((i) => [i.name, i.versionCount]), [['golden', 2]]);
    assert.equal(((await api('GET', '/api/images/golden/versions/latest')).json['version'] as { version: number }).version, 2);
    const at = (first.json['version'] as { createdAt: string }).createdAt;
    assert.equal(((await api('GET', `/api/images/golden/versions/at:${encodeURIComponent(at)}`)).json['version'] as { version: number }).version, 1);
    const out = join(dir.path, 'out.img');
    const exported = await api('POST', '/api/images/golden/versions/1/export', { out });
    assert.equal(exported.status, 200);
    const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');
    assert.equal(await sha(out), await sha(disk));
    const again = await api('POST', '/api/images/golden/versions/1/export', { out });
    assert.deepEqual([again.status, errorCode(again.json)], [409, 'RC_ERR_EXPORT_EXISTS']);
  });

  test('errors carry stable codes and the right status', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['GET', '/api/images/nope', undefined, 404, 'RC_ERR_STORE_IMAGE_NOT_FOUND'],
      ['GET', '/api/images/golden/versions/99', undefined, 404, 'RC_ERR_STORE_VERSION_NOT_FOUND'],
      ['GET', '/api/images/golden/versions/x1', undefined, 400, 'RC_ERR_STORE_BAD_VERSION'],
      ['GET', '/api/images/a..b', undefined, 400, 'RC_ERR_STORE_BAD_NAME'],
      ['POST', '/api/images/ok/versions', { file: join(dir.path, 'absent.img') }, 404, 'RC_ERR_IMPORT_FILE_NOT_FOUND'],
      ['POST', '/api/images/ok/versions', { path: disk }, 400, 'RC_ERR_BAD_REQUEST'],
      ['POST', '/api/images/ok/versions', '{"file": ', 400, 'RC_ERR_BAD_REQUEST'],
      ['GET', '/api/nothing-here', undefined, 404, 'RC_ERR_NOT_FOUND'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await api(method, path, body);
      assert.deepEqual([res.status, errorCode(res.json)], [status, code], `${method} ${path}`);
    }
  });

  test('removing a version, verify and gc', async () => {
    const removed = await api('DELETE', '/api/images/golden/versions/1');
    assert.equal((removed.json['removed'] as { version: number }).version, 1);
    const verify = await api('POST', '/api/store/verify');
    assert.equal((verify.json['report'] as { ok: boolean }).ok, true);
    const gc = await api('POST', '/api/store/gc');
    assert.equal((gc.json['report'] as { removedBlocks: number }).removedBlocks, 0, 'version 2 still uses every block');
    const gone = await api('DELETE', '/api/images/golden');
    assert.equal((gone.json['removed'] as unknown[]).length, 1);
    assert.equal(((await api('POST', '/api/store/gc')).json['report'] as { removedBlocks: number }).removedBlocks, firstBlocks);
  });
});
