import { Router } from 'express';
import type { ServerMetrics } from '../metrics/index.js';

/** GET /metrics: the server's metrics in the Prometheus text format (0.0.4). */
export function metricsRouter(metrics: ServerMetrics): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const text = await metrics.registry.metrics();
    res.setHeader('cache-control', 'no-store');
    res.type(metrics.registry.contentType).send(text);
  });
  return router;
}
