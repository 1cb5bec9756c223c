import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { CaptureRegistry, type CaptureJobs } from '../capture/index.js';
import { RackcastError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ImageStore } from '../store/index.js';
import { parseBody } from './images.js';

export const CreateBody = z.object({
  image: z.string().min(1),
  machine: z.string().min(1).nullable().optional(),
}).strict();

export const CommitBody = z.object({
  config: z.unknown(),
  profile: z.unknown().optional(),
}).strict();

/**
 * Offers are a whole manifest at 44 bytes a block: 256 MiB holds 6 million blocks (1.5 TiB used
 * at 256 KiB). Uploads are one block frame: the block plus its 5-byte header.
 */
const OFFER_LIMIT = 256 * 1024 * 1024;
const FRAME_OVERHEAD = 64;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

function bearer(req: Request): string | undefined {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

function idParam(text: string | undefined): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 1) throw new RackcastError('RC_ERR_BAD_REQUEST', `capture id ${JSON.stringify(text)} is not a positive number`);
  return id;
}

function bytesOf(req: Request): Uint8Array {
  if (!Buffer.isBuffer(req.body)) throw new RackcastError('RC_ERR_BAD_REQUEST', 'send the body as application/octet-stream');
  return new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength);
}

/** The agent's side of a capture (docs/capture-protocol.md), authenticated by the capture token. */
function agentRoutes(router: Router, captures: CaptureRegistry, blockSize: number): void {
  const raw = (limit: number) => express.raw({ type: 'application/octet-stream', limit });
  router.get('/agent', async (req, res) => {
    res.json(await captures.info(await captures.byToken(bearer(req))));
  });
  router.get('/agent/fingerprints', async (req, res) => {
    const bytes = await captures.fingerprints(await captures.byToken(bearer(req)));
    res.type('application/octet-stream').send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
  router.post('/agent/offer', raw(OFFER_LIMIT), async (req, res) => {
    const session = await captures.byToken(bearer(req));
    res.json(await session.offer(bytesOf(req)));
  });
  router.put('/agent/blocks/:hash', raw(blockSize + FRAME_OVERHEAD), async (req, res) => {
    const session = await captures.byToken(bearer(req));
    const hash = req.params.hash ?? '';
    if (!HASH_PATTERN.test(hash)) throw new RackcastError('RC_ERR_BAD_REQUEST', `block address ${JSON.stringify(hash.slice(0, 80))} is not 64 lowercase hex digits`);
    res.json(await session.upload(hash, bytesOf(req)));
  });
  router.post('/agent/commit', async (req, res) => {
    const session = await captures.byToken(bearer(req));
    const body = parseBody(CommitBody, req.body);
    res.status(201).json({ version: await session.commit({ config: body.config, profile: body.profile ?? null }) });
  });
}

/**
 * /api/captures: a technician starts a capture and gets its token (`rackcast capture start`);
 * the agent, holding the token, offers the disk's blocks, uploads those the store lacks and
 * commits the version. `registry` is given when something else (a capture job) shares it.
 */
export function capturesRouter(store: ImageStore, log: Logger, captures = new CaptureRegistry(store, log)): Router {
  const router = Router();
  agentRoutes(router, captures, store.options.blockSize);
  router.post('/', async (req, res) => {
    const body = parseBody(CreateBody, req.body);
    res.status(201).json(await captures.create({ image: body.image, machine: body.machine ?? null }));
  });
  router.get('/', async (_req, res) => {
    res.json({ captures: await captures.list() });
  });
  router.get('/:id', async (req, res) => {
    const session = await captures.get(idParam(req.params.id));
    res.json({ capture: (await captures.info(session)).capture });
  });
  router.delete('/:id', async (req, res) => {
    const session = await captures.get(idParam(req.params.id));
    await session.cancel();
    res.json({ capture: (await captures.info(session)).capture });
  });
  return router;
}

export const CaptureJobBody = z.object({
  image: z.string().min(1),
  disk: z.string().max(256).optional(),
}).strict();

/**
 * POST /api/machines/:machine/capture {image, disk?} → 201 {capture, job}: the machine (a MAC,
 * or a host name one of its captures recorded) captures its disk as its next job
 * (docs/capture-protocol.md, "Capture as a machine job"). Mounted beside the machines router.
 */
export function captureJobRouter(jobs: CaptureJobs): Router {
  const router = Router();
  router.post('/:mac/capture', async (req, res) => {
    const body = parseBody(CaptureJobBody, req.body);
    res.status(201).json(await jobs.start({ machine: req.params.mac ?? '', image: body.image, ...(body.disk !== undefined ? { disk: body.disk } : {}) }));
  });
  return router;
}
