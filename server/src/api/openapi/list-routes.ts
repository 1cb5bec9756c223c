import type { Express } from 'express';

/** One route an express app answers, in OpenAPI path form: `{ method: 'get', path: '/api/images/{name}' }`. */
export interface RegisteredRoute {
  readonly method: string;
  readonly path: string;
}

/** The parts of express 5's router layers this walk reads (router 2.x; not in its typings). */
interface LayerLike {
  readonly rawPath?: unknown;
  readonly route?: { readonly path: unknown; readonly methods: Readonly<Record<string, boolean>> };
  readonly handle?: { readonly stack?: readonly LayerLike[] };
}

function join(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/{2,}/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

function walk(stack: readonly LayerLike[], prefix: string, out: RegisteredRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      if (typeof layer.route.path !== 'string') throw new Error(`route under ${prefix || '/'} has a non-string path; list it by hand`);
      const path = join(prefix, layer.route.path).replace(/:(\w+)/g, '{$1}');
      for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push({ method, path });
    } else if (layer.handle?.stack) {
      // A mounted router: its own layers, under the path it was mounted at.
      const mount = typeof layer.rawPath === 'string' ? layer.rawPath : '/';
      walk(layer.handle.stack, join(prefix, mount), out);
    }
  }
}

/**
 * Every method and path the app's routers register (plain middleware such as static files is
 * not a route). For the route-coverage test: the OpenAPI document must list exactly these.
 */
export function listRoutes(app: Express): RegisteredRoute[] {
  const out: RegisteredRoute[] = [];
  walk((app as unknown as { router: { stack: readonly LayerLike[] } }).router.stack, '', out);
  return out;
}
