import { z } from 'zod';
import { requiredAccess } from '../../auth/index.js';
import { SECURITY_SCHEMES, errorSchema, type JsonSchema, type SecuritySchemeName } from './components.js';
import { PATH_PARAMETERS, ROUTE_DOCS, type RouteAnswer, type RouteDoc } from './route-docs.js';

const ERROR_RESPONSE = { $ref: '#/components/responses/Error' } as const;

/** The zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), as the request must be sent. */
function toSchema(schema: z.ZodType | JsonSchema): JsonSchema {
  if (!(schema instanceof z.ZodType)) return schema;
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const MEDIA_TYPES: Record<NonNullable<RouteAnswer['type']>, string | null> = {
  json: 'application/json', binary: 'application/octet-stream', text: 'text/plain', html: 'text/html',
  'event-stream': 'text/event-stream', prometheus: 'text/plain; version=0.0.4', none: null,
};

function answer(ok: RouteAnswer): object {
  const media = MEDIA_TYPES[ok.type ?? 'json'];
  if (media === null) return { description: ok.description };
  const schema = ok.schema ? toSchema(ok.schema) : ok.type === 'json' || ok.type === undefined ? { type: 'object' } : { type: 'string' };
  return { description: ok.description, content: { [media]: { schema } } };
}

/** `/api/images/{name}` → `getImagesByName`. */
export function operationId(route: Pick<RouteDoc, 'method' | 'path'>): string {
  const words = route.path.split('/').filter((w) => w !== '' && w !== 'api').map((w) => {
    const param = /^\{(.+)\}$/.exec(w)?.[1];
    const word = (param ? `by-${param}` : w).replace(/\.json$/, '');
    return word.split(/[-_.]/).map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
  });
  return route.method + (words.join('') || 'Root');
}

/** Who may call: the route's own token, or the access policy's verdict for its path. */
function security(route: RouteDoc): { security: object[]; role: string | null } {
  if (route.auth !== undefined && route.auth !== 'public') return { security: [{ [route.auth satisfies SecuritySchemeName]: [] }], role: null };
  const access = requiredAccess(route.method, route.path.replace(/\{([^}]+)\}/g, '$1'));
  if (access === 'public') return { security: [], role: null };
  return { security: [{ bearerAuth: [] }, { cookieAuth: [] }], role: access };
}

function operation(route: RouteDoc): object {
  const { security: requirements, role } = security(route);
  const parameters = [
    ...[...route.path.matchAll(/\{([^}]+)\}/g)].map(([, name = '']) => ({ name, in: 'path', required: true, description: PATH_PARAMETERS[name] ?? name, schema: { type: 'string' } })),
    ...Object.entries(route.query ?? {}).map(([name, q]) => ({ name, in: 'query', required: false, description: q.description, schema: q.schema })),
  ];
  const body = route.body === undefined ? undefined : route.body === 'binary'
    ? { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } }
    : { required: true, content: { 'application/json': { schema: toSchema(route.body) } } };
  const refusals = role !== null
    ? { 401: { $ref: '#/components/responses/Unauthenticated' }, 403: { $ref: '#/components/responses/Forbidden' } }
    : requirements.length > 0 ? { 401: { $ref: '#/components/responses/BadToken' } } : {};
  const description = [route.description, role !== null ? `Needs an account of role **${role}** or above.` : '', route.websocket ? 'A WebSocket: send GET with `Upgrade: websocket`.' : '']
    .filter((t) => t).join('\n\n');
  return {
    operationId: operationId(route), summary: route.summary, tags: [route.tag],
    ...(description ? { description } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    security: requirements,
    ...(role !== null ? { 'x-required-role': role } : {}),
    ...(route.websocket ? { 'x-websocket': true } : {}),
    responses: { [route.ok.status]: answer(route.ok), ...refusals, '4XX': ERROR_RESPONSE, '5XX': ERROR_RESPONSE },
  };
}

/** The OpenAPI 3.1 document of the whole HTTP server, built from ROUTE_DOCS and the routers' zod schemas. */
export function buildOpenApiDocument(version: string, routes: readonly RouteDoc[] = ROUTE_DOCS): Record<string, unknown> {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operation(route);
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rackcast', version,
      description: 'The REST API of a Rackcast server: images, captures, stream sessions and deploys, machines, accounts. Errors share one body (Error) with a stable code. Boot files and the metrics endpoint are listed too.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    security: [{ bearerAuth: [] }, { cookieAuth: [] }],
    paths,
    components: {
      schemas: { Error: errorSchema() },
      responses: {
        Error: errorResponse('The request failed; `error.code` says why.'),
        Unauthenticated: errorResponse('No valid credential (RC_ERR_UNAUTHENTICATED).'),
        Forbidden: errorResponse("The account's role is too low (RC_ERR_FORBIDDEN)."),
        BadToken: errorResponse("The machine's token is missing or not valid for this request."),
      },
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}
