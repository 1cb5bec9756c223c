import type { DeployPlan } from '@rackcast/wire';
import type { ToolRunner } from './run-tool.js';
import type { TargetDevice } from './target-device.js';

/** One progress line for the console and the server, e.g. "moved the backup GPT to the disk's end". */
export type StepLog = (line: string) => void;

/** What every fitting step works with. */
export interface FitContext {
  readonly runner: ToolRunner;
  readonly device: TargetDevice;
  readonly plan: DeployPlan;
  readonly log: StepLog;
  /** Folder for scratch files, e.g. "/tmp". */
  readonly tmpDir: string;
}

/** What fitting changed; byte offsets are from the start of the disk, ends are exclusive. */
export interface FitResult {
  readonly table: 'gpt' | 'mbr' | 'none';
  readonly imageBytes: number;
  readonly diskBytes: number;
  /**
   * The GPT backup header: moved to the end of a bigger disk, rewritten with the whole table for
   * a smaller one, already at the end (same size), or 'none' (MBR, no table).
   */
  readonly backupGpt: 'moved' | 'rewritten' | 'unchanged' | 'none';
  /** The image's old backup GPT, left inside a bigger disk, was zeroed. */
  readonly staleBackupWiped: boolean;
  /** The resized partition; null when none changed. */
  readonly partition: { readonly number: number; readonly startBytes: number; readonly oldEndBytes: number; readonly newEndBytes: number } | null;
  /** The file system in it; null when none was resized. */
  readonly filesystem: { readonly type: 'ext4'; readonly oldBytes: number; readonly newBytes: number } | null;
  /** Things a technician may want to know (a partition that could not grow, …). */
  readonly notes: readonly string[];
}
