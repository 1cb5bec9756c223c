import { DiskError } from './disk-error.js';
import { commandLine, toolOutputTail, type ToolOptions, type ToolRun, type ToolRunner } from './run-tool.js';

export interface DiskToolOptions extends ToolOptions {
  /** Exit codes that mean success, e.g. [0, 1] for e2fsck -y (1 = errors fixed). Default [0]. */
  readonly okCodes?: readonly number[];
}

/** Runs a disk tool and throws RC_ERR_DISK_TOOL (with the command and its last output) when it fails. */
export async function runDiskTool(runner: ToolRunner, command: string, args: readonly string[], options: DiskToolOptions = {}): Promise<ToolRun> {
  const run = await runner(command, args, options);
  if (run.code === null || !(options.okCodes ?? [0]).includes(run.code)) {
    throw new DiskError('RC_ERR_DISK_TOOL', `${commandLine(command, args)} failed (${run.code === null ? 'did not run or was killed' : `exit ${run.code}`}): ${toolOutputTail(run)}`);
  }
  return run;
}
