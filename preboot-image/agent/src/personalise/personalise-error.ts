import { AgentError } from '../agent-error.js';

/** Error codes of personalisation (RC_ERR_<AREA>_<WHAT>, as the server's). */
export type PersonaliseErrorCode =
  /** The plan's root partition is missing or holds no ext2/3/4 file system. */
  | 'RC_ERR_PERSONALISE_ROOT'
  /** The plan's hostname or a NIC setting cannot be written as it is (bad MAC, address, name). */
  | 'RC_ERR_PERSONALISE_PLAN'
  /** Editing the file system failed (debugfs), or it is not clean afterwards. */
  | 'RC_ERR_PERSONALISE_EDIT'
  /** efibootmgr could not create the boot entry. */
  | 'RC_ERR_PERSONALISE_BOOT_ENTRY';

/** A failure of personalisation, with a stable code and a message saying what to do. Never transient. */
export class PersonaliseError extends AgentError<PersonaliseErrorCode> {
  override readonly name = 'PersonaliseError';
}
