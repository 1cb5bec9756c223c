import type { Command } from 'commander';

interface CaptureFlags {
  server: string;
  token: string;
  source: string;
  image?: string;
  profile: boolean;
  sysfsRoot: string;
  concurrency: number;
  quiet?: boolean;
}

/**
 * `rackcast-agent capture`: the capture protocol from a shell (the preboot image's console,
 * tests, a technician), the way `receive` runs a restore. Progress goes to stderr; the result,
 * one JSON line, to stdout.
 */
export function addCaptureCommand(program: Command): void {
  program.command('capture')
    .description('capture a disk (used blocks only) as a new version of the image the token names')
    .requiredOption('--server <url>', 'boot server URL, e.g. http://10.0.0.1:8080')
    .requiredOption('--token <token>', 'capture token from `rackcast capture start`')
    .requiredOption('--source <path>', 'whole disk (/dev/sda) or disk image file to capture; only read')
    .option('--image <name>', 'the image the capture is for (refused if the token names another)')
    .option('--no-profile', 'send no hardware profile (default: detect this machine\'s)')
    .option('--sysfs-root <dir>', 'sysfs for the disk, firmware mode and profile', '/sys')
    .option('--concurrency <n>', 'block uploads in flight', (v) => Number.parseInt(v, 10), 4)
    .option('--quiet', 'print only the final result')
    .action(async (o: CaptureFlags) => {
      // Loaded only when the command runs: the agent starts faster for the others.
      const { runCapture } = await import('./run-capture.js');
      const result = await runCapture({
        server: o.server, token: o.token, source: o.source, sysRoot: o.sysfsRoot, concurrency: o.concurrency,
        ...(o.image ? { image: o.image } : {}), ...(o.profile ? {} : { profile: null }),
        say: (line) => { if (!o.quiet) process.stderr.write(`rackcast-agent: capture: ${line}\n`); },
      });
      process.stdout.write(`${JSON.stringify({ result })}\n`);
    });
}
