import type { WireErrorCode } from '@rackcast/wire';
import { ERROR_SPECS } from '../../errors.js';

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) as a plain object. */
export type JsonSchema = { readonly [key: string]: unknown };

/** Codes the wire codecs raise; the error handler answers them with 400. A record, so a new code fails the build until listed. */
const WIRE_ERROR_STATUS: Readonly<Record<WireErrorCode, number>> = {
  RC_ERR_WIRE_TRUNCATED: 400, RC_ERR_WIRE_BAD_MAGIC: 400, RC_ERR_WIRE_UNSUPPORTED_VERSION: 400, RC_ERR_WIRE_CHECKSUM: 400,
  RC_ERR_WIRE_INVALID: 400, RC_ERR_MANIFEST_DANGLING_REF: 400, RC_ERR_MANIFEST_BASE_MISMATCH: 400,
};

/** Every code an error body may carry, with the HTTP status it comes with. */
export function errorStatuses(): Record<string, number> {
  const statuses: Record<string, number> = {};
  for (const [code, spec] of Object.entries(ERROR_SPECS)) statuses[code] = spec.status;
  return { ...statuses, ...WIRE_ERROR_STATUS };
}

/** The body of every API error (api/error-handler.ts). */
export function errorSchema(): JsonSchema {
  const statuses = errorStatuses();
  return {
    type: 'object',
    description: 'Every failed API request answers with this body. Branch on `error.code`, never on the message.',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: Object.keys(statuses), description: 'Stable error code; `x-error-status` on this schema maps each to its HTTP status.' },
          message: { type: 'string', description: 'What went wrong and what to do, for a person.' },
          details: { type: 'object', additionalProperties: true, description: 'Fields that help, e.g. {"image": "web"}.' },
        },
      },
    },
    'x-error-status': statuses,
  };
}

export const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http', scheme: 'bearer',
    description: 'An API token (`POST /api/tokens`, `rackcast token create`) or the local CLI credential: `Authorization: Bearer <secret>`.',
  },
  cookieAuth: {
    type: 'apiKey', in: 'cookie', name: 'rackcast_session',
    description: 'The dashboard login session, set by `POST /api/auth/login`.',
  },
  machineToken: {
    type: 'http', scheme: 'bearer',
    description: 'Agents only: the one-time machine token from the kernel command line (registration), then the agent credential registration answered. Not an account token.',
  },
  receiverToken: {
    type: 'http', scheme: 'bearer',
    description: 'Receivers only: a receiver token of the session (`POST /api/sessions` answers them). Not an account token.',
  },
  captureToken: {
    type: 'http', scheme: 'bearer',
    description: 'Capturing agents only: the capture token `POST /api/captures` answered. Not an account token.',
  },
} as const;

export type SecuritySchemeName = keyof typeof SECURITY_SCHEMES;
