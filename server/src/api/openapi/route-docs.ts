import type { z } from 'zod';
import { LoginBody } from '../auth.js';
import { CaptureJobBody, CommitBody, CreateBody as CreateCaptureBody } from '../captures.js';
import { DeployBody } from '../deploys.js';
import { ExportBody, ImportBody } from '../images.js';
import { JobBody } from '../machines.js';
import { RestoreBody } from '../restores.js';
import { CreateBody as CreateSessionBody, TokensBody } from '../sessions.js';
import { CreateBody as CreateTokenBody } from '../tokens.js';
import { CreateBody as CreateUserBody, UpdateBody as UpdateUserBody } from '../users.js';
import type { JsonSchema } from './components.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/**
 * Who may call a route. Left out: the server's access policy decides (auth/route-policy.ts):
 * public, or an account of at least the role it names. The token kinds are the machines' own
 * bearer secrets, never an account's.
 */
export type RouteAuth = 'public' | 'machineToken' | 'receiverToken' | 'captureToken';

/** What a success answers: JSON (optionally with a schema), bytes, text, a stream or nothing. */
export interface RouteAnswer {
  readonly status: 101 | 200 | 201 | 204;
  readonly description: string;
  readonly type?: 'json' | 'binary' | 'text' | 'html' | 'event-stream' | 'prometheus' | 'none';
  readonly schema?: JsonSchema | z.ZodType;
}

/** One route of the HTTP server, as the OpenAPI document shows it. */
export interface RouteDoc {
  readonly method: HttpMethod;
  /** OpenAPI form: `{name}` for a path parameter. */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly auth?: RouteAuth;
  readonly query?: Readonly<Record<string, { readonly description: string; readonly schema: JsonSchema }>>;
  /** A JSON body: the zod schema the router validates with, else a JSON Schema; or raw bytes. */
  readonly body?: z.ZodType | JsonSchema | 'binary';
  readonly ok: RouteAnswer;
  /** A WebSocket upgrade, answered by the HTTP server's upgrade listener rather than a router. */
  readonly websocket?: true;
}

const obj = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties)): JsonSchema => ({ type: 'object', properties, required });
const str: JsonSchema = { type: 'string' };
const anyObject: JsonSchema = { type: 'object' };
const userView = obj({ name: str, role: { enum: ['viewer', 'operator', 'admin'] } });
const ok = (description: string, schema?: JsonSchema): RouteAnswer => ({ status: 200, description, type: 'json', ...(schema ? { schema } : {}) });
const created = (description: string, schema?: JsonSchema): RouteAnswer => ({ status: 201, description, type: 'json', ...(schema ? { schema } : {}) });
const upgrade = (description: string): RouteAnswer => ({ status: 101, description, type: 'none' });

/**
 * Every route the server answers, one entry each. A new route gets an entry here; the
 * route-coverage test (test/openapi.test.ts) fails until it has one, and fails for an entry
 * whose route is gone.
 */
export const ROUTE_DOCS: readonly RouteDoc[] = [
  // Service
  { method: 'get', path: '/api/health', tag: 'service', summary: 'Is the server up, and which version', auth: 'public', ok: ok('Up.', obj({ status: { const: 'ok' }, version: str, uptimeSeconds: { type: 'integer' } })) },
  { method: 'get', path: '/api/openapi.json', tag: 'service', summary: 'This document', auth: 'public', ok: ok('The OpenAPI 3.1 document.', anyObject) },
  { method: 'get', path: '/metrics', tag: 'service', summary: 'Metrics in the Prometheus text format (0.0.4)', description: 'Sessions, receivers, multicast bytes and repairs, DHCP and TFTP requests, store size, machines, deploys, captures; docs/api.md lists them.', ok: { status: 200, description: 'Prometheus exposition text.', type: 'prometheus' } },
  { method: 'get', path: '/', tag: 'service', summary: 'The dashboard (web UI)', auth: 'public', ok: { status: 200, description: 'The dashboard page; 503 with a hint when it is not built.', type: 'html' } },

  // Accounts
  { method: 'post', path: '/api/auth/login', tag: 'accounts', summary: 'Log in: sets the session cookie', body: LoginBody, ok: ok('Logged in; `Set-Cookie: rackcast_session=…`.', obj({ user: userView })) },
  { method: 'post', path: '/api/auth/logout', tag: 'accounts', summary: 'Log out: ends the session and clears the cookie', ok: { status: 204, description: 'Logged out.', type: 'none' } },
  { method: 'get', path: '/api/auth/me', tag: 'accounts', summary: 'Who the caller is', ok: ok('The caller and how it authenticated.', obj({ user: userView, via: { enum: ['session', 'token', 'local'] } })) },
  { method: 'get', path: '/api/users', tag: 'accounts', summary: 'List accounts', ok: ok('Accounts (never their password hashes).', obj({ users: { type: 'array', items: userView } })) },
  { method: 'post', path: '/api/users', tag: 'accounts', summary: 'Add an account', body: CreateUserBody, ok: created('The account.', obj({ user: userView })) },
  { method: 'put', path: '/api/users/{name}', tag: 'accounts', summary: "Change an account's password or role", body: UpdateUserBody, ok: ok('The account.', obj({ user: userView })) },
  { method: 'delete', path: '/api/users/{name}', tag: 'accounts', summary: 'Remove an account', ok: ok('The removed account.', obj({ user: userView })) },
  { method: 'get', path: '/api/tokens', tag: 'accounts', summary: 'List API tokens', ok: ok('Tokens (never their secrets).', obj({ tokens: { type: 'array', items: anyObject } })) },
  { method: 'post', path: '/api/tokens', tag: 'accounts', summary: 'Create an API token', description: 'The secret is answered once and never again.', body: CreateTokenBody, ok: created('The token and its secret.', obj({ token: obj({ id: str, name: str, role: str, createdBy: str, createdAt: str }), secret: str })) },
  { method: 'delete', path: '/api/tokens/{id}', tag: 'accounts', summary: 'Revoke an API token', ok: ok('The revoked token.', obj({ token: anyObject })) },
  { method: 'get', path: '/api/audit', tag: 'accounts', summary: 'The audit log, newest first', query: { limit: { description: 'Entries to answer, 1-1000 (default 100).', schema: { type: 'integer', minimum: 1, maximum: 1000 } } }, ok: ok('Audit entries.', obj({ entries: { type: 'array', items: anyObject } })) },

  // Images and the store
  { method: 'get', path: '/api/images', tag: 'images', summary: 'List images with their newest version', ok: ok('Images.', obj({ images: { type: 'array', items: anyObject } })) },
  { method: 'get', path: '/api/images/{name}', tag: 'images', summary: 'One image and its versions', ok: ok('The image and its versions, oldest first.', obj({ image: anyObject, versions: { type: 'array', items: anyObject } })) },
  { method: 'delete', path: '/api/images/{name}', tag: 'images', summary: 'Remove an image and every version', ok: ok('The removed versions.', obj({ removed: { type: 'array', items: anyObject } })) },
  { method: 'get', path: '/api/images/{name}/versions', tag: 'images', summary: "List an image's versions", ok: ok('Versions, oldest first.', obj({ versions: { type: 'array', items: anyObject } })) },
  { method: 'post', path: '/api/images/{name}/versions', tag: 'images', summary: 'Import a disk image file (on the server) as a new version', body: ImportBody, ok: created('The new version.', obj({ version: anyObject })) },
  { method: 'get', path: '/api/images/{name}/versions/{version}', tag: 'images', summary: 'One version', ok: ok('The version.', obj({ version: anyObject })) },
  { method: 'delete', path: '/api/images/{name}/versions/{version}', tag: 'images', summary: 'Remove one version', ok: ok('The removed version.', obj({ removed: anyObject })) },
  { method: 'post', path: '/api/images/{name}/versions/{version}/export', tag: 'images', summary: 'Write a version out as a raw disk image file (on the server)', body: ExportBody, ok: ok('What was written.', anyObject) },
  { method: 'post', path: '/api/store/verify', tag: 'images', summary: 'Check every block and manifest of the store', ok: ok('The store is sound (409 with the same body when it is not).', obj({ report: anyObject })) },
  { method: 'post', path: '/api/store/gc', tag: 'images', summary: 'Delete blocks no version uses', ok: ok('What was freed.', obj({ report: anyObject })) },

  // Captures: technician side, then the capturing agent's side
  { method: 'get', path: '/api/captures', tag: 'captures', summary: 'List captures', ok: ok('Captures.', obj({ captures: { type: 'array', items: anyObject } })) },
  { method: 'post', path: '/api/captures', tag: 'captures', summary: 'Start a capture; answers its token once', body: CreateCaptureBody, ok: created('The capture and its token.', obj({ capture: anyObject, token: str })) },
  { method: 'get', path: '/api/captures/{id}', tag: 'captures', summary: 'One capture', ok: ok('The capture.', obj({ capture: anyObject })) },
  { method: 'delete', path: '/api/captures/{id}', tag: 'captures', summary: 'Cancel a capture', ok: ok('The cancelled capture.', obj({ capture: anyObject })) },
  { method: 'get', path: '/api/captures/agent', tag: 'capture agent', summary: 'The capture the token opens: block size and the base a delta may name', auth: 'captureToken', ok: ok('Capture information.', obj({ capture: anyObject, blockSize: { type: 'integer' }, base: { type: ['object', 'null'] } })) },
  { method: 'get', path: '/api/captures/agent/fingerprints', tag: 'capture agent', summary: "The base version's block fingerprints", auth: 'captureToken', ok: { status: 200, description: 'Fingerprints (docs/capture-protocol.md).', type: 'binary' } },
  { method: 'post', path: '/api/captures/agent/offer', tag: 'capture agent', summary: "Offer the disk's manifest (full or delta); answers which blocks to upload", auth: 'captureToken', body: 'binary', ok: ok('What the store lacks.', anyObject) },
  { method: 'put', path: '/api/captures/agent/blocks/{hash}', tag: 'capture agent', summary: 'Upload one block frame', auth: 'captureToken', body: 'binary', ok: ok('Stored.', anyObject) },
  { method: 'post', path: '/api/captures/agent/commit', tag: 'capture agent', summary: 'Commit the captured version', auth: 'captureToken', body: CommitBody, ok: created('The new version.', obj({ version: anyObject })) },

  // Sessions and deploys: operators, then receivers
  { method: 'get', path: '/api/sessions', tag: 'sessions', summary: 'List stream sessions', ok: ok('Sessions (never keys or tokens).', obj({ sessions: { type: 'array', items: anyObject } })) },
  { method: 'post', path: '/api/sessions', tag: 'sessions', summary: 'Start a multicast stream session', body: CreateSessionBody, ok: created('The session and one receiver token per expected receiver.', obj({ session: anyObject, tokens: { type: 'array', items: str } })) },
  { method: 'get', path: '/api/sessions/{id}', tag: 'sessions', summary: 'One session (with its deploy members)', ok: ok('The session.', obj({ session: anyObject })) },
  { method: 'delete', path: '/api/sessions/{id}', tag: 'sessions', summary: 'Cancel a session (and its deploy)', ok: ok('The cancelled session.', obj({ session: anyObject })) },
  { method: 'get', path: '/api/sessions/{id}/events', tag: 'sessions', summary: 'Follow a session as server-sent events', description: '`session` events carry the view GET /api/sessions/{id} answers; `end` follows the last one.', ok: { status: 200, description: 'An event stream.', type: 'event-stream' } },
  { method: 'post', path: '/api/sessions/{id}/tokens', tag: 'sessions', summary: 'Issue more receiver tokens', body: TokensBody, ok: created('New tokens.', obj({ tokens: { type: 'array', items: str } })) },
  { method: 'post', path: '/api/deploys', tag: 'sessions', summary: 'Deploy an image version to machines (or plan it with dryRun)', body: DeployBody, ok: created('The deploy session (200 with the plan for a dry run).', obj({ session: anyObject }, [])) },
  { method: 'post', path: '/api/sessions/{id}/receivers', tag: 'receivers', summary: 'Register a receiver: answers the session key and stream settings', auth: 'receiverToken', ok: created('Registration.', anyObject) },
  { method: 'get', path: '/api/sessions/{id}/manifest', tag: 'receivers', summary: "The session's manifest", auth: 'receiverToken', ok: { status: 200, description: 'Encoded manifest.', type: 'binary' } },
  { method: 'get', path: '/api/sessions/{id}/blocks/{index}', tag: 'receivers', summary: 'Backfill one sealed block over HTTP', auth: 'receiverToken', ok: { status: 200, description: 'The sealed block.', type: 'binary' } },
  { method: 'get', path: '/api/sessions/{id}/channel', tag: 'receivers', summary: "WebSocket: a receiver's control channel", auth: 'receiverToken', websocket: true, ok: upgrade('Upgraded; JSON messages of docs/blockstream-protocol.md.') },
  { method: 'post', path: '/api/restores', tag: 'sessions', summary: 'Restore a machine to a captured version (or plan it with dryRun)', description: 'docs/restore.md. Progress is also its deploy session\'s, under /api/sessions/{id}.', body: RestoreBody, ok: created('The restore (200 with the plan for a dry run).', obj({ restore: anyObject })) },
  { method: 'get', path: '/api/restores', tag: 'sessions', summary: 'List restores', ok: ok('Restores.', obj({ restores: { type: 'array', items: anyObject } })) },
  { method: 'get', path: '/api/restores/{id}', tag: 'sessions', summary: 'One restore', ok: ok('The restore.', obj({ restore: anyObject })) },

  // Machines and their agents
  { method: 'get', path: '/api/machines', tag: 'machines', summary: 'List machines', ok: ok('Machines.', obj({ machines: { type: 'array', items: anyObject } })) },
  { method: 'get', path: '/api/machines/{mac}', tag: 'machines', summary: 'One machine with its recent events', ok: ok('The machine.', obj({ machine: anyObject })) },
  { method: 'put', path: '/api/machines/{mac}/job', tag: 'machines', summary: "Set a machine's job", body: JobBody, ok: ok('The machine.', obj({ machine: anyObject })) },
  { method: 'post', path: '/api/machines/{mac}/capture', tag: 'captures', summary: "Capture the machine's disk as its next job (MAC, or a host name a capture of it recorded)", body: CaptureJobBody, ok: created('The capture and the machine\'s job (token blanked).', obj({ capture: anyObject, job: anyObject })) },
  { method: 'get', path: '/api/events', tag: 'machines', summary: "WebSocket: the dashboard's live feed", description: 'Browsers cannot set headers on a WebSocket: send the token as `?access_token=`, or rely on the session cookie.', websocket: true, ok: upgrade('Upgraded; JSON snapshots and changes.') },
  { method: 'post', path: '/api/agent/register', tag: 'agent', summary: 'An agent registers its machine and profile', auth: 'machineToken', body: obj({ bootMac: { type: ['string', 'null'] }, agentVersion: str, profile: anyObject }, ['agentVersion', 'profile']), ok: created('The machine, its agent credential and its job.', obj({ mac: str, credential: str, job: anyObject })) },
  { method: 'get', path: '/api/agent/channel', tag: 'agent', summary: "WebSocket: a registered agent's control channel", auth: 'machineToken', websocket: true, ok: upgrade('Upgraded; jobs one way, heartbeats and acks the other.') },

  // Boot (fetched by firmware, outside /api)
  { method: 'get', path: '/boot/ipxe', tag: 'boot', summary: 'The iPXE script for a machine', description: 'Always 200 with a valid script, a refusal included, so iPXE never stops on an error page.', auth: 'public', query: { mac: { description: 'Boot MAC address; without it, a script that chains here with it.', schema: str }, platform: { description: 'iPXE ${platform}.', schema: str }, buildarch: { description: 'iPXE ${buildarch}.', schema: str }, uuid: { description: 'SMBIOS UUID.', schema: str } }, ok: { status: 200, description: 'An iPXE script.', type: 'text' } },
  { method: 'get', path: '/boot/files/{name}', tag: 'boot', summary: 'A boot file (kernel, initramfs); Range requests supported', auth: 'public', ok: { status: 200, description: 'The file (206 for a range).', type: 'binary' } },
];

/** Descriptions of the path parameters the routes use. */
export const PATH_PARAMETERS: Readonly<Record<string, string>> = {
  name: 'An image name, a user name or a boot file name, by route.',
  version: 'A version number, `latest`, or `at:<ISO time>` (the newest version at or before it).',
  id: 'A session, capture, restore or token id, by route.',
  mac: 'A MAC address, any common notation.',
  hash: 'A block address: 64 lowercase hex digits.',
  index: 'A block index.',
};
