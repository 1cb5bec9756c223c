import { Router } from 'express';
import { collectGarbage, verifyStore, type ImageStore } from '../store/index.js';

/** /api/store: whole-store maintenance. */
export function storeRouter(store: ImageStore): Router {
  const router = Router();
  router.post('/verify', async (_req, res) => {
    const report = await verifyStore(store);
    res.status(report.ok ? 200 : 409).json({ report });
  });
  router.post('/gc', async (_req, res) => {
    res.json({ report: await collectGarbage(store) });
  });
  return router;
}
