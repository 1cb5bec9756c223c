import { readFile } from 'node:fs/promises';
import { parseKernelCommandLine } from './agent-settings.js';

/**
 * Agent entry point. This version only reads its settings and reports them; hardware
 * detection, registration and the receive path arrive with the boot-chain and multicast work.
 */
async function main(): Promise<void> {
  const cmdline = await readFile('/proc/cmdline', 'utf8').catch(() => '');
  const settings = parseKernelCommandLine(cmdline);
  process.stdout.write(`${JSON.stringify({ agent: 'rackcast-agent', settings })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`rackcast-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
