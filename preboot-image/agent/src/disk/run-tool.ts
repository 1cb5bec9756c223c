import { spawn } from 'node:child_process';

/** What a finished tool run gave back. `code` is null when it was killed (timeout) or could not start. */
export interface ToolRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ToolOptions {
  /** Text written to the tool's stdin (an sfdisk script); stdin is closed at once without it. */
  readonly input?: string;
  /** Kill the tool after this long, e.g. 600000 for e2fsck on a big disk. Default 10 min. */
  readonly timeoutMs?: number;
}

/**
 * Runs one external tool. Injected so that tests can record the exact command line (efibootmgr
 * must never run against the test host's firmware) and so that unit tests never spawn.
 */
export type ToolRunner = (command: string, args: readonly string[], options?: ToolOptions) => Promise<ToolRun>;

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** Debian keeps sfdisk, e2fsck, resize2fs and debugfs in sbin, which a non-login PATH may lack. */
const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function toolPath(): string {
  const parts = (process.env['PATH'] ?? '').split(':').filter(Boolean);
  return [...parts, ...SBIN.filter((d) => !parts.includes(d))].join(':');
}

/** The real runner: spawn without a shell, collect output, never reject on an exit code. */
export const runTool: ToolRunner = (command, args, options = {}) => new Promise((resolve) => {
  // LC_ALL=C: messages are parsed in places (debugfs, efibootmgr) and must not be translated.
  const child = spawn(command, [...args], { env: { ...process.env, PATH: toolPath(), LC_ALL: 'C' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const timer = setTimeout(() => { stderr += `\nkilled after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`; child.kill('SIGKILL'); }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  child.on('error', (err) => { clearTimeout(timer); resolve({ code: null, stdout, stderr: `${stderr}${err.message}` }); });
  child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  child.stdin.on('error', () => undefined); // a tool that exits before reading its input
  child.stdin.end(options.input ?? '');
});

/** The last lines of a tool's stderr (or stdout), for an error message. */
export function toolOutputTail(run: ToolRun, lines = 6): string {
  const text = (run.stderr.trim() || run.stdout.trim()).split('\n').slice(-lines).join(' | ');
  return text === '' ? 'no output' : text;
}

/** One command line as a person would type it (for messages and results). */
export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}
