/** Error codes of the preboot image builder (RC_ERR_<AREA>_<WHAT>, as the server's). */
export type BuildErrorCode =
  | 'RC_ERR_PREBOOT_BAD_OPTION'
  | 'RC_ERR_PREBOOT_TOOL_MISSING'
  | 'RC_ERR_PREBOOT_COMMAND_FAILED'
  | 'RC_ERR_PREBOOT_KERNEL_DOWNLOAD'
  | 'RC_ERR_PREBOOT_MODULE_UNKNOWN'
  | 'RC_ERR_PREBOOT_AGENT_NOT_BUILT'
  | 'RC_ERR_PREBOOT_BUNDLE'
  | 'RC_ERR_PREBOOT_NATIVE_ADDON';

/** A build failure with a stable code and a message telling the technician what to do. */
export class BuildError extends Error {
  readonly code: BuildErrorCode;

  constructor(code: BuildErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BuildError';
    this.code = code;
  }
}
