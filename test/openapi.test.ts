import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { ERROR_SPECS, listRoutes, loadConfig, silentLogger, startServer, type RunningServer } from '@rackcast/server';
import { tempDir } from './helpers/temp-dir.js';

type Operation = { security?: unknown[]; 'x-websocket'?: boolean; responses: Record<string, unknown>; requestBody?: unknown };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: { Error: { properties: { error: { properties: { code: { enum: string[] } } } } } } } };

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head']);

function operationsOf(doc: Document, websocket: boolean): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item)
    .filter(([method, op]) => METHODS.has(method) && (op['x-websocket'] === true) === websocket)
    .map(([method]) => `${method.toUpperCase()} ${path}`)).sort();
}

describe('OpenAPI document', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: RunningServer;
  let doc: Document;

  before(async () => {
    dir = await tempDir('openapi');
    const config = loadConfig(undefined, { RACKCAST_STORE_DIR: join(dir.path, 'store'), RACKCAST_HTTP_PORT: '0', RACKCAST_HTTP_HOST: '127.0.0.1' });
    server = await startServer(config, silentLogger());
    const res = await fetch(`${server.url}/api/openapi.json`);
    assert.equal(res.status, 200, 'GET /api/openapi.json is public');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    doc = (await res.json()) as Document;
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  test('is served at /api/openapi.json without credentials and is OpenAPI 3.1', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(Object.keys(doc.paths).length > 30, 'the document lists the API');
  });

  test('validates against the OpenAPI 3.1 schema', async () => {
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(doc) as never);
  });

  test('every route the server registers is documented, and every documented route exists', () => {
    const registered = [...new Set(listRoutes(server.app).map((r) => `${r.method.toUpperCase()} ${r.path}`))].sort();
    const documented = operationsOf(doc, false);
    assert.ok(registered.length > 30, `walked ${registered.length} routes; the router walk found too few`);
    const undocumented = registered.filter((r) => !documented.includes(r));
    const missing = documented.filter((r) => !registered.includes(r));
    assert.deepEqual({ undocumented, missing }, { undocumented: [], missing: [] },
      'add an entry to server/src/api/openapi/route-docs.ts for each undocumented route; remove the entries of routes that are gone');
  });

  test('the documented WebSocket endpoints upgrade, and nothing else claims to', async () => {
    const sockets = operationsOf(doc, true);
    assert.deepEqual(sockets, ['GET /api/agent/channel', 'GET /api/events', 'GET /api/sessions/{id}/channel']);
    // An upgrade listener answers an unknown path with 404 before any router: a documented path must not get that.
    for (const path of ['/api/agent/channel', '/api/events', '/api/sessions/1/channel']) {
      const status = await upgradeStatus(server.url, path);
      assert.notEqual(status, 404, `${path} is not an upgrade endpoint (answered ${status})`);
    }
    assert.equal(await upgradeStatus(server.url, '/api/no-such-socket'), 404, 'control: an unknown upgrade path is refused with 404');
  });

  test('the error schema lists every error code of ERROR_SPECS', () => {
    const codes = doc.components.schemas.Error.properties.error.properties.code.enum;
    const absent = Object.keys(ERROR_SPECS).filter((code) => !codes.includes(code));
    assert.deepEqual(absent, []);
  });

  test('account routes declare bearer and cookie auth; machine routes their own tokens; public ones none', () => {
    const security = (method: string, path: string) => JSON.stringify(doc.paths[path]?.[method]?.security);
    assert.equal(security('get', '/api/images'), JSON.stringify([{ bearerAuth: [] }, { cookieAuth: [] }]));
    assert.equal(security('post', '/api/agent/register'), JSON.stringify([{ machineToken: [] }]));
    assert.equal(security('put', '/api/captures/agent/blocks/{hash}'), JSON.stringify([{ captureToken: [] }]));
    assert.equal(security('get', '/api/sessions/{id}/blocks/{index}'), JSON.stringify([{ receiverToken: [] }]));
    assert.equal(security('get', '/api/health'), '[]');
    assert.ok(doc.paths['/api/users']?.['post']?.responses['403'], 'admin routes document 403');
  });

  test('request bodies come from the routers\' zod schemas', () => {
    const body = doc.paths['/api/sessions']?.['post']?.requestBody as { content: Record<string, { schema: { required?: string[]; additionalProperties?: boolean } }> };
    const schema = body.content['application/json']?.schema;
    assert.deepEqual(schema?.required?.sort(), ['expect', 'image']);
    assert.equal(schema?.additionalProperties, false, '.strict() shows as additionalProperties: false');
  });
});

/** Status of a WebSocket upgrade attempt without credentials: 101, 401, 404… (the socket is closed at once). */
function upgradeStatus(baseUrl: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }, timeout: 5000 });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 0); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('timeout', () => req.destroy(new Error(`no answer to the upgrade of ${path}`)));
    req.on('error', reject);
    req.end();
  });
}
