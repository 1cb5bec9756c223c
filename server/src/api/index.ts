export { createApp } from './create-app.js';
export type { AppDependencies } from './create-app.js';
export type { BootRoutesOptions } from './boot.js';
export type { ApiErrorBody } from './error-handler.js';
export { parseBitRate } from './bit-rate.js';
export { sessionSummary } from './sessions.js';
export { buildOpenApiDocument, listRoutes, errorStatuses, ROUTE_DOCS } from './openapi/index.js';
export type { RegisteredRoute, RouteDoc } from './openapi/index.js';
