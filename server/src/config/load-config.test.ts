import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hasCode } from '../errors.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'rc-config-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  async function configFile(text: string): Promise<string> {
    const path = join(dir, `c${Math.random().toString(16).slice(2)}.yaml`);
    await writeFile(path, text);
    return path;
  }

  function failsWith(file: string, pattern: RegExp): void {
    assert.throws(() => loadConfig(file, {}), (err: Error) => hasCode(err, 'RC_ERR_CONFIG_INVALID') && pattern.test(err.message), pattern.source);
  }

  test('the embedded default is valid: store under var/ of the checkout, local HTTP port', () => {
    const config = loadConfig(undefined, {});
    assert.equal(config.store.dir, resolve(DEFAULT_CONFIG_PATH, '../../var/store'));
    assert.equal(config.store.blockSize, 256 * 1024);
    assert.equal(config.http.host, '127.0.0.1');
    assert.equal(typeof config.http.port, 'number');
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.store), 'config is deep-frozen');
  });

  test('a user file overrides only the keys it sets; relative paths resolve against its folder', async () => {
    const config = loadConfig(await configFile('store:\n  dir: mystore\n  blockSize: 1MiB\n'), {});
    assert.equal(config.store.dir, join(dir, 'mystore'));
    assert.equal(config.store.blockSize, 1024 * 1024);
    assert.equal(config.http.port, loadConfig(undefined, {}).http.port);
  });

  test('environment overrides the store folder and HTTP port', () => {
    const config = loadConfig(undefined, { RACKCAST_STORE_DIR: 'scratch/store', RACKCAST_HTTP_PORT: '0' }, '/srv');
    assert.equal(config.store.dir, '/srv/scratch/store');
    assert.equal(config.http.port, 0);
  });

  test('errors name the key at fault', async () => {
    failsWith(await configFile('http:\n  port: 70000\n'), /config key http\.port:/);
    failsWith(await configFile('http:\n  prot: 80\n'), /config key http\.prot: unknown key/);
    failsWith(await configFile('store:\n  blockSize: 3000\n'), /config key store\.blockSize: must be a multiple of 4KiB/);
    failsWith(await configFile('store:\n  blockSize: lots\n'), /config key store\.blockSize: expected a size/);
    failsWith(await configFile('log:\n  level: loud\n'), /config key log\.level:/);
    failsWith(await configFile('[1, 2]\n'), /top level must be a mapping/);
    failsWith(await configFile('store: {dir: [unclosed\n'), /not valid YAML/);
    assert.throws(() => loadConfig(undefined, { RACKCAST_HTTP_PORT: 'eighty' }), /config key http\.port:/);
  });

  test('a missing config file says so', () => {
    assert.throws(() => loadConfig(join(dir, 'absent.yaml'), {}), (err: Error) => hasCode(err, 'RC_ERR_CONFIG_NOT_FOUND') && err.message.includes('absent.yaml'));
  });
});
