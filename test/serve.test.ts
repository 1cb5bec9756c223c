import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { localAdminHeaders } from './helpers/api-auth.js';
import { runCli } from './helpers/rackcast-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const CLI = fileURLToPath(new URL('../../server/bin/rackcast.js', import.meta.url));
let dir: Awaited<ReturnType<typeof tempDir>>;

before(async () => { dir = await tempDir('serve'); });
after(() => dir.remove());

test('rackcast serve answers on its port, logs JSON, and stops cleanly on SIGTERM', async () => {
  const store = join(dir.path, 'store');
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, RACKCAST_STORE_DIR: store, RACKCAST_HTTP_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 30 s: ${stderr}`)), 30_000);
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m?.[1]) { clearTimeout(timer); resolve(m[1]); }
      });
    });
    const health = await (await fetch(`${url}/api/health`)).json() as { status: string };
    assert.equal(health.status, 'ok');
    assert.equal((await fetch(`${url}/api/images`)).status, 401, 'the API needs a credential');
    assert.deepEqual(await (await fetch(`${url}/api/images`, { headers: await localAdminHeaders(store) })).json(), { images: [] });
    await access(join(store, 'server.json'));
    const started = stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; level: number });
    assert.ok(started.some((l) => l.msg === 'rackcast server started'), 'structured JSON log on stderr');
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  await assert.rejects(access(join(store, 'server.json')), 'the state file goes with the server');
});

test('a bad config stops the server before it starts, naming the key', async () => {
  const config = join(dir.path, 'bad.yaml');
  await writeFile(config, 'http:\n  port: "eighty"\n');
  const result = await runCli(['serve', '--config', config], { RACKCAST_STORE_DIR: join(dir.path, 'store2') }, 30_000);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /RC_ERR_CONFIG_INVALID: invalid configuration .*\nconfig key http\.port:/);
});
