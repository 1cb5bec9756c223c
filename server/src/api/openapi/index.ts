import type { RequestHandler } from 'express';
import { buildOpenApiDocument } from './build-document.js';

export { buildOpenApiDocument, operationId } from './build-document.js';
export { errorStatuses } from './components.js';
export { ROUTE_DOCS } from './route-docs.js';
export type { RouteDoc, RouteAuth, HttpMethod } from './route-docs.js';

/** GET /api/openapi.json: the document, built once on first request. */
export function openApiHandler(version: string): RequestHandler {
  let text: string | null = null;
  return (_req, res) => {
    text ??= JSON.stringify(buildOpenApiDocument(version));
    res.type('application/json').send(text);
  };
}
export { listRoutes } from './list-routes.js';
export type { RegisteredRoute } from './list-routes.js';
