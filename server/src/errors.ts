/**
 * Every error the server reports to a person or a client carries a stable code
 * (RC_ERR_<AREA>_<WHAT>), a message saying what to do, and the HTTP status the API maps it to.
 * Callers branch on `code` (fastify lib/errors.js, ws createError).
 */
export interface ErrorSpec {
  readonly status: number;
  /** Transient errors may succeed when retried; fatal ones will not (IPA, etcher-sdk). */
  readonly transient?: boolean;
}

export const ERROR_SPECS = {
  RC_ERR_CONFIG_INVALID: { status: 500 },
  RC_ERR_CONFIG_NOT_FOUND: { status: 500 },
  RC_ERR_BAD_REQUEST: { status: 400 },
  RC_ERR_NOT_FOUND: { status: 404 },
  RC_ERR_STORE_LOCKED: { status: 409, transient: true },
  RC_ERR_STORE_BAD_NAME: { status: 400 },
  RC_ERR_STORE_BAD_VERSION: { status: 400 },
  RC_ERR_STORE_IMAGE_NOT_FOUND: { status: 404 },
  RC_ERR_STORE_VERSION_NOT_FOUND: { status: 404 },
  RC_ERR_STORE_BLOCK_MISSING: { status: 500 },
  RC_ERR_STORE_BLOCK_DAMAGED: { status: 500 },
  RC_ERR_STORE_MANIFEST_DAMAGED: { status: 500 },
  RC_ERR_STORE_BASE_MISMATCH: { status: 409 },
  RC_ERR_STORE_FORMAT: { status: 500 },
  RC_ERR_IMPORT_FILE_NOT_FOUND: { status: 404 },
  RC_ERR_IMPORT_NOT_AN_IMAGE: { status: 422 },
  RC_ERR_IMPORT_UNREADABLE: { status: 422 },
  RC_ERR_IMPORT_TOOL_MISSING: { status: 500 },
  RC_ERR_EXPORT_EXISTS: { status: 409 },
  RC_ERR_EXPORT_FAILED: { status: 500 },
  RC_ERR_SERVER_UNREACHABLE: { status: 503, transient: true },
  RC_ERR_SERVER_NOT_RUNNING: { status: 503, transient: true },
  RC_ERR_SESSION_NOT_FOUND: { status: 404 },
  RC_ERR_SESSION_BAD_TOKEN: { status: 401 },
  RC_ERR_UNAUTHORISED: { status: 401 },
  RC_ERR_MACHINE_NOT_FOUND: { status: 404 },
  RC_ERR_MACHINE_BAD_TOKEN: { status: 401 },
  RC_ERR_BOOT_FILE_MISSING: { status: 503, transient: true },
  RC_ERR_TFTP_FILE_NOT_FOUND: { status: 404 },
  RC_ERR_TFTP_ACCESS_DENIED: { status: 403 },
  RC_ERR_TFTP_LISTEN: { status: 500 },
  RC_ERR_DHCP_INTERFACE: { status: 500 },
  RC_ERR_DHCP_BIND: { status: 500 },
  RC_ERR_DEPLOY_BUSY: { status: 409 },
  RC_ERR_DEPLOY_TIMEOUT: { status: 504, transient: true },
  RC_ERR_DEPLOY_CANCELLED: { status: 409 },
  RC_ERR_PLAN_NO_DISK: { status: 422 },
  RC_ERR_PLAN_DISK_TOO_SMALL: { status: 422 },
  RC_ERR_PLAN_DISK_AMBIGUOUS: { status: 422 },
  RC_ERR_PLAN_HOSTNAME: { status: 422 },
  RC_ERR_CAPTURE_NOT_FOUND: { status: 404 },
  RC_ERR_CAPTURE_BAD_TOKEN: { status: 401 },
  RC_ERR_CAPTURE_CLOSED: { status: 409 },
  RC_ERR_CAPTURE_BAD_OFFER: { status: 422 },
  RC_ERR_CAPTURE_BASE_CHANGED: { status: 409, transient: true },
  RC_ERR_CAPTURE_NOT_OFFERED: { status: 409, transient: true },
  RC_ERR_CAPTURE_BLOCK_UNEXPECTED: { status: 409 },
  RC_ERR_CAPTURE_BLOCK_MISMATCH: { status: 422 },
  RC_ERR_CAPTURE_INCOMPLETE: { status: 409 },
  RC_ERR_CAPTURE_BUSY: { status: 409 },
  RC_ERR_CAPTURE_JOB_TIMEOUT: { status: 504 },
  RC_ERR_CAPTURE_FAILED: { status: 422 },
  RC_ERR_CAPTURE_TIMEOUT: { status: 504, transient: true },
  RC_ERR_UNAUTHENTICATED: { status: 401 },
  RC_ERR_FORBIDDEN: { status: 403 },
  RC_ERR_AUTH_FAILED: { status: 401 },
  RC_ERR_AUTH_RATE_LIMITED: { status: 429, transient: true },
  RC_ERR_USER_NOT_FOUND: { status: 404 },
  RC_ERR_USER_EXISTS: { status: 409 },
  RC_ERR_LAST_ADMIN: { status: 409 },
  RC_ERR_TOKEN_NOT_FOUND: { status: 404 },
  RC_ERR_TRIAL_QEMU_MISSING: { status: 500 },
  RC_ERR_TRIAL_FIRMWARE_MISSING: { status: 500 },
  RC_ERR_TRIAL_QEMU_FAILED: { status: 500 },
  RC_ERR_TRIAL_NO_MARKER: { status: 422 },
  RC_ERR_TRIAL_PANIC: { status: 422 },
  RC_ERR_TRIAL_BAD_EXPECT: { status: 400 },
  RC_ERR_TRIAL_CANCELLED: { status: 409 },
  RC_ERR_RESTORE_NOT_FOUND: { status: 404 },
  RC_ERR_RESTORE_NO_VERSION: { status: 404 },
  RC_ERR_RESTORE_NO_CONFIG: { status: 422 },
  RC_ERR_RESTORE_BEFORE_FIRST: { status: 422 },
  RC_ERR_RESTORE_REFUSED: { status: 422 },
  RC_ERR_INTERNAL: { status: 500 },
} as const satisfies Record<string, ErrorSpec>;

export type RackcastErrorCode = keyof typeof ERROR_SPECS;

/** An expected failure with a stable code and a message meant for the technician. */
export class RackcastError extends Error {
  readonly code: RackcastErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: RackcastErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RackcastError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_SPECS[this.code].status;
  }
}

/** True when `err` carries `code`, whichever package or process produced it. */
export function hasCode(err: unknown, code: RackcastErrorCode): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === code;
}

/** True when `code` is one of ours (used by the HTTP client to rebuild errors from JSON). */
export function isRackcastErrorCode(code: unknown): code is RackcastErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_SPECS, code);
}
