import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { parseKernelCommandLine } from './agent-settings.js';
import { MulticastReceiver, ReceiveError } from './receive/index.js';

/**
 * rackcast-agent: the preboot agent. `receive` restores a session's image onto a target; it
 * works the same from the initramfs and from a plain shell (tests, benchmarks, technicians).
 */
const program = new Command('rackcast-agent').description('Rackcast preboot agent').showHelpAfterError();

program.command('settings')
  .description('print the rackcast.* settings from the kernel command line')
  .action(async () => {
    const cmdline = await readFile('/proc/cmdline', 'utf8').catch(() => '');
    process.stdout.write(`${JSON.stringify(parseKernelCommandLine(cmdline))}\n`);
  });

program.command('receive')
  .description('receive a multicast session\'s image onto a file or block device')
  .requiredOption('--server <url>', 'boot server URL, e.g. http://10.0.0.1:8080')
  .requiredOption('--session <id>', 'session id', (v) => Number.parseInt(v, 10))
  .requiredOption('--token <token>', 'receiver token the server issued')
  .requiredOption('--target <path>', 'file or block device to write')
  .option('--iface <name|address>', 'interface to join the multicast group on')
  .option('--memory <MiB>', 'memory for partly received blocks before spilling to the target', (v) => Number.parseInt(v, 10))
  .option('--quiet', 'print only the final result')
  .action(async (opts: { server: string; session: number; token: string; target: string; iface?: string; memory?: number; quiet?: boolean }) => {
    let last = 0;
    const receiver = new MulticastReceiver({
      server: opts.server, session: opts.session, token: opts.token, target: opts.target,
      ...(opts.iface ? { iface: opts.iface } : {}),
      ...(opts.memory ? { memoryBudget: opts.memory * 1024 * 1024 } : {}),
      onProgress: (p) => {
        if (opts.quiet || Date.now() - last < 1000) return;
        last = Date.now();
        process.stderr.write(`${p.state} ${p.blocksDone}/${p.blocksTotal} blocks, ${(p.rate / 1e6).toFixed(1)} MB/s, loss ${(p.lossRate * 100).toFixed(1)} %, repairs ${p.repairs}\n`);
      },
    });
    const result = await receiver.run();
    process.stdout.write(`${JSON.stringify({ result })}\n`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const code = err instanceof ReceiveError ? err.code : 'RC_ERR_RECEIVE_BLOCK';
  process.stderr.write(`rackcast-agent: ${code}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
