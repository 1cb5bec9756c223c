// Runs one of the repository's scripts (scripts/<name>) for a test: its output collected, its
// process group killed if it overruns, a rejection with its whole output if it fails.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface ScriptRun {
  readonly stdout: string;
  readonly seconds: number;
}

export function runScript(name: string, args: readonly string[], timeoutMs: number): Promise<ScriptRun> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(ROOT, 'scripts', name), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => { if (child.pid) process.kill(-child.pid, 'SIGKILL'); }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, seconds: (Date.now() - start) / 1000 });
      else reject(new Error(`${name} ${args.join(' ')} failed (${code ?? signal}):\n${stdout}${stderr}`));
    });
  });
}
