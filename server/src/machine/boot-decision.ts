import type { MachineRecord } from './machine-record.js';

/**
 * What a machine gets when its iPXE asks for a script: the preboot agent, an exit to the next
 * boot device (its local disk), or nothing (another boot server owns it).
 */
export type BootTarget = 'agent' | 'local' | 'ignore';

/** boot.unknownMachines: what a machine the server has no record of gets. */
export type UnknownMachinePolicy = 'register' | 'local' | 'ignore';

/**
 * A known machine boots the agent unless its job says to boot from disk; an unknown one
 * follows the configured policy.
 */
export function bootTargetFor(record: Pick<MachineRecord, 'job'> | undefined, unknownMachines: UnknownMachinePolicy): BootTarget {
  if (record === undefined) return unknownMachines === 'register' ? 'agent' : unknownMachines;
  return record.job.action === 'local' ? 'local' : 'agent';
}
