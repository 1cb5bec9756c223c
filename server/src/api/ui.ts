import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/** The dashboard's build (server/ui/dist), found from this file in server/dist/api/. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../ui/dist', import.meta.url));

/**
 * The technician's dashboard at `/`: the static files of its build. Hashed assets are cached
 * for good; index.html never is, so a new build shows at the next load. Without a build, `/`
 * says how to make one (the API and boot files work either way).
 */
export function uiRouter(dir: string = DEFAULT_UI_DIR): Router {
  const router = Router();
  router.use('/assets', express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false }));
  router.get('/', (_req, res) => {
    const index = join(dir, 'index.html');
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send('The dashboard is not built: run `npm run setup` (or `npm run build -w server/ui`) and reload.\n');
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
  router.use(express.static(dir, { index: false, maxAge: '1h' }));
  return router;
}
