import { Router, type Request } from 'express';
import { encodeManifest } from '@rackcast/wire';
import { z } from 'zod';
import type { DeployRegistry, DeployView } from '../deploy/index.js';
import { RackcastError } from '../errors.js';
import type { SessionRecord, SessionRegistry, StreamSession } from '../session/index.js';
import { parseImageRef, parseTimeSelector } from '../store/index.js';
import { parseBitRate } from './bit-rate.js';
import { parseBody } from './images.js';
import { streamSessionEvents } from './session-events.js';

export const CreateBody = z.object({
  image: z.string().min(1),
  at: z.string().optional(),
  expect: z.number().int().min(1).max(10_000),
  rate: z.union([z.string(), z.number()]).optional(),
  group: z.string().regex(/^2(2[4-9]|3\d)\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'must be an IPv4 multicast address').optional(),
  port: z.number().int().min(1).max(65535).optional(),
  interface: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address').optional(),
  datagramSize: z.number().int().min(576).max(65507).optional(),
}).strict();

export const TokensBody = z.object({ count: z.number().int().min(1).max(1000) }).strict();

/** What operators see of a session: never the key or tokens; a deploy session also shows its members. */
export function sessionSummary(session: StreamSession, deploys?: DeployRegistry): Omit<SessionRecord, 'key' | 'tokens' | 'receivers'> & { receivers: unknown[]; tokensLeft: number; deploy: DeployView | null } {
  const { key: _key, tokens, receivers, ...rest } = session.record;
  return {
    ...rest, tokensLeft: tokens.length,
    receivers: receivers.map(({ token: _token, completed: _completed, ...r }) => ({ ...r, journalBlocks: session.journalBlocks(r.id) })),
    deploy: deploys?.view(session.record.id) ?? null,
  };
}

function bearer(req: Request): string {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) throw new RackcastError('RC_ERR_UNAUTHORISED', 'this request needs the receiver token (Authorization: Bearer <token>)');
  return token;
}

export function sessionParam(sessions: SessionRegistry, text: string | undefined): StreamSession {
  if (!/^\d{1,10}$/.test(text ?? '')) throw new RackcastError('RC_ERR_BAD_REQUEST', `session id ${JSON.stringify(text)} is not a number`);
  return sessions.get(Number(text));
}

/** /api/sessions: operators create and watch streams; receivers register and backfill. */
export function sessionsRouter(sessions: SessionRegistry, deploys?: DeployRegistry): Router {
  const router = Router();
  const summary = (s: StreamSession) => sessionSummary(s, deploys);
  router.get('/', (_req, res) => {
    res.json({ sessions: sessions.list().map(summary) });
  });
  router.post('/', async (req, res) => {
    const body = parseBody(CreateBody, req.body);
    const ref = parseImageRef(body.image);
    const { session, tokens } = await sessions.create({
      image: ref.name, version: body.at ? parseTimeSelector(body.at) : ref.version, expect: body.expect,
      ...(body.rate !== undefined ? { rateBps: parseBitRate(body.rate) } : {}),
      ...(body.group ? { group: body.group } : {}), ...(body.port ? { port: body.port } : {}),
      ...(body.interface ? { interfaceAddress: body.interface } : {}), ...(body.datagramSize ? { datagramSize: body.datagramSize } : {}),
    });
    res.status(201).json({ session: summary(session), tokens });
  });
  router.get('/:id', (req, res) => {
    res.json({ session: summary(sessionParam(sessions, req.params.id)) });
  });
  router.get('/:id/events', (req, res) => {
    streamSessionEvents(sessionParam(sessions, req.params.id), deploys, req, res);
  });
  router.delete('/:id', async (req, res) => {
    const session = sessionParam(sessions, req.params.id);
    session.cancel();
    await deploys?.cancel(session.record.id);
    res.json({ session: summary(session) });
  });
  router.post('/:id/tokens', async (req, res) => {
    const body = parseBody(TokensBody, req.body);
    res.status(201).json({ tokens: await sessions.issueTokens(sessionParam(sessions, req.params.id).record.id, body.count) });
  });
  router.post('/:id/receivers', (req, res) => {
    const session = sessionParam(sessions, req.params.id);
    const { receiver, completed } = session.register(bearer(req));
    const r = session.record;
    res.status(201).json({
      receiverId: receiver.id, key: r.key, group: r.group, port: r.port, datagramSize: r.datagramSize,
      blockCount: r.blockCount, bytesTotal: r.bytesTotal, phase: r.phase, straggler: receiver.straggler, completed: completed.toBase64(),
      progressIntervalMs: session.progressIntervalMs,
    });
  });
  router.get('/:id/manifest', (req, res) => {
    const session = sessionParam(sessions, req.params.id);
    session.receiverFor(bearer(req));
    res.type('application/octet-stream').send(Buffer.from(encodeManifest(session.manifest)));
  });
  router.get('/:id/blocks/:index', async (req, res) => {
    const session = sessionParam(sessions, req.params.id);
    const receiver = session.receiverFor(bearer(req));
    if (!/^\d{1,10}$/.test(req.params.index)) throw new RackcastError('RC_ERR_BAD_REQUEST', 'block index must be a number');
    const { body, tag } = await session.backfill(receiver.id, Number(req.params.index));
    // Not res.send: it would hash every block (SHA-1) for an ETag no receiver uses; a
    // straggler backfills a whole image this way, on the CPU the multicast needs. Body and tag
    // go out one after the other, never joined into a third copy of the block.
    res.status(200).set({ 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength + tag.byteLength) });
    res.write(body);
    res.end(tag);
  });
  return router;
}
