import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { parseKernelCommandLine } from './agent-settings.js';
import { AGENT_VERSION } from './agent-version.js';
import { addCaptureCommand } from './capture/capture-command.js';

/**
 * rackcast-agent: the preboot agent. Each command loads its modules when it runs: start-up
 * costs CPU on every machine of a session at once (16 receivers starting together on a
 * benchmark host spent ~0.25 CPU-s each loading every command's modules).
 * `receive` restores a session's image onto a target; it
 * works the same from the initramfs and from a plain shell (tests, benchmarks, technicians).
 */
const program = new Command('rackcast-agent').description('Rackcast preboot agent').version(AGENT_VERSION).showHelpAfterError();

program.command('settings')
  .description('print the rackcast.* settings from the kernel command line')
  .action(async () => {
    const cmdline = await readFile('/proc/cmdline', 'utf8').catch(() => '');
    process.stdout.write(`${JSON.stringify(parseKernelCommandLine(cmdline))}\n`);
  });

program.command('boot')
  .description('what the preboot image runs: detect the hardware, register with the boot server, wait for jobs and carry them out; reconnects by itself and ends only with a reboot or power-off')
  .option('--cmdline-file <file>', 'kernel command line to read rackcast.server=, rackcast.token= and BOOTIF= from', '/proc/cmdline')
  .option('--server <url>', 'boot server URL (overrides rackcast.server=)')
  .option('--token <token>', 'one-time machine token (overrides rackcast.token=)')
  .option('--sysfs-root <dir>', 'sysfs to detect hardware from', '/sys')
  .option('--dry-run-power', 'print reboot/poweroff instead of doing them, then exit (for runs off a preboot image)')
  .option('--refused-reboot-delay <seconds>', 'wait before rebooting for a fresh token when registration is refused', (v) => Number.parseInt(v, 10), 30)
  .option('--dev-dir <dir>', 'folder holding the disks\' device nodes (deploy jobs write <dir>/<disk name>); a folder of disk files in tests', '/dev')
  .action(async (o: { cmdlineFile: string; server?: string; token?: string; sysfsRoot: string; dryRunPower?: boolean; refusedRebootDelay: number; devDir: string }) => {
    const { runBootCommand } = await import('./control/index.js');
    await runBootCommand({
      cmdlineFile: o.cmdlineFile, server: o.server, token: o.token, sysfsRoot: o.sysfsRoot,
      dryRunPower: o.dryRunPower ?? false, refusedRebootSeconds: o.refusedRebootDelay, devDir: o.devDir,
    });
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
    const { MulticastReceiver } = await import('./receive/index.js');
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

addCaptureCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const own = (err as { code?: unknown } | null)?.code;
  // Every error of the agent (ReceiveError, CaptureError, …) carries its RC_ERR_ code.
  const code = typeof own === 'string' && own.startsWith('RC_ERR_') ? own : 'RC_ERR_RECEIVE_BLOCK';
  process.stderr.write(`rackcast-agent: ${code}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
