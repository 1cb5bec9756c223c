import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { BuildError } from './build-error.js';

/** Options of one command run. */
export interface RunOptions {
  /** Working directory. Example: var/cache/preboot */
  readonly cwd?: string;
  /** Text written to the command's stdin. */
  readonly input?: string;
  /** Extra environment variables (added to the builder's own). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Debian package that provides each host tool the builder runs, for the "missing" message. */
const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  'apt-get': 'apt', 'apt-cache': 'apt', 'dpkg': 'dpkg', 'dpkg-deb': 'dpkg', 'depmod': 'kmod', 'modprobe': 'kmod',
  'modinfo': 'kmod', 'cpio': 'cpio', 'zstd': 'zstd', 'strip': 'binutils', 'ldd': 'libc-bin', 'busybox': 'busybox-static',
};

function missingTool(cmd: string): BuildError {
  const pkg = TOOL_PACKAGES[cmd];
  return new BuildError('RC_ERR_PREBOOT_TOOL_MISSING',
    `the builder needs '${cmd}'${pkg ? ` (Debian package ${pkg})` : ''}: run scripts/install-deps.sh as root`);
}

function failed(line: string, code: number | null, signal: string | null, stderr: string): BuildError {
  const tail = stderr.trim().split('\n').slice(-8).join('\n');
  return new BuildError('RC_ERR_PREBOOT_COMMAND_FAILED', `${line} failed (${code ?? signal})${tail ? `:\n${tail}` : ''}`);
}

function spawnChecked(cmd: string, args: readonly string[], opts: RunOptions, stdout: 'pipe' | 'ignore'): ChildProcess {
  return spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', stdout, 'pipe'],
  });
}

/** Runs a command (no shell) and resolves its stdout; rejects with a BuildError naming the command. */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const line = [cmd, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawnChecked(cmd, args, opts, 'pipe');
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? missingTool(cmd) : err));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(failed(line, code, signal, stderr));
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** One stage of a pipeline: a command and its arguments. */
export type PipelineStage = readonly [cmd: string, args: readonly string[]];

/**
 * Runs `first | second > outFile` (cpio into zstd) without a shell; `input` goes to the first
 * command's stdin. Rejects when either command fails.
 */
export function runPipelineToFile(first: PipelineStage, second: PipelineStage, outFile: string, opts: RunOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const a = spawnChecked(first[0], first[1], opts, 'pipe');
    const b = spawn(second[0], second[1], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const sink = createWriteStream(outFile);
    const errs = ['', ''];
    a.stderr?.setEncoding('utf8').on('data', (d: string) => { errs[0] += d; });
    b.stderr?.setEncoding('utf8').on('data', (d: string) => { errs[1] += d; });
    if (a.stdout && b.stdin) a.stdout.pipe(b.stdin);
    b.stdout?.pipe(sink);
    let pending = 3;
    let settled = false;
    const fail = (err: Error): void => { if (!settled) { settled = true; a.kill(); b.kill(); reject(err); } };
    const done = (): void => { pending -= 1; if (pending === 0 && !settled) { settled = true; resolve(); } };
    for (const [i, [child, [cmd, args]]] of ([[a, first], [b, second]] as const).entries()) {
      child.on('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ENOENT' ? missingTool(cmd) : err));
      child.on('close', (code, signal) => {
        if (code === 0) done();
        else fail(failed([cmd, ...args].join(' '), code, signal, errs[i] ?? ''));
      });
    }
    sink.on('error', fail);
    sink.on('close', done);
    if (opts.input !== undefined) a.stdin?.end(opts.input);
  });
}
