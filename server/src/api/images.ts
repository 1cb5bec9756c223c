import { Router } from 'express';
import { z } from 'zod';
import { RackcastError } from '../errors.js';
import { exportImage, importImage } from '../image/index.js';
import { parseTimeSelector, parseVersionSelector, validateImageName, type ImageStore, type VersionSelector } from '../store/index.js';

export const ImportBody = z.object({
  file: z.string().min(1),
  allowUnknownRaw: z.boolean().optional(),
}).strict();

export const ExportBody = z.object({
  out: z.string().min(1),
  force: z.boolean().optional(),
}).strict();

/** Parses a JSON body or fails with RC_ERR_BAD_REQUEST naming the field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new RackcastError('RC_ERR_BAD_REQUEST', `invalid request body: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
}

/** A version path segment: a number, "latest", or "at:<ISO time>". */
function selectorParam(text: string): VersionSelector {
  return text.startsWith('at:') ? parseTimeSelector(text.slice(3)) : parseVersionSelector(text);
}

function nameParam(text: string | undefined): string {
  return validateImageName(text ?? '');
}

/**
 * /api/images: images and their versions. Import and export name files on the server's own
 * disk (the CLI forwards here when a running server holds the store).
 */
export function imagesRouter(store: ImageStore): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.json({ images: await store.listImages() });
  });
  router.get('/:name', async (req, res) => {
    const name = nameParam(req.params.name);
    const image = await store.getImage(name);
    res.json({ image, versions: await store.listVersions(name) });
  });
  router.delete('/:name', async (req, res) => {
    res.json({ removed: await store.removeImage(nameParam(req.params.name)) });
  });
  router.get('/:name/versions', async (req, res) => {
    res.json({ versions: await store.listVersions(nameParam(req.params.name)) });
  });
  router.post('/:name/versions', async (req, res) => {
    const body = parseBody(ImportBody, req.body);
    const version = await importImage(store, { name: nameParam(req.params.name), file: body.file, allowUnknownRaw: body.allowUnknownRaw ?? false });
    res.status(201).json({ version });
  });
  router.get('/:name/versions/:version', async (req, res) => {
    res.json({ version: await store.resolveVersion(nameParam(req.params.name), selectorParam(req.params.version)) });
  });
  router.delete('/:name/versions/:version', async (req, res) => {
    const selector = selectorParam(req.params.version);
    const name = nameParam(req.params.name);
    const version = await store.resolveVersion(name, selector);
    res.json({ removed: await store.removeVersion(name, version.version) });
  });
  router.post('/:name/versions/:version/export', async (req, res) => {
    const body = parseBody(ExportBody, req.body);
    const result = await exportImage(store, { name: nameParam(req.params.name), version: selectorParam(req.params.version), out: body.out, force: body.force ?? false });
    res.json(result);
  });
  return router;
}
