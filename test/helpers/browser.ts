import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';
import { REPO_ROOT } from './rackcast-cli.js';
import { tempDir } from './temp-dir.js';

/** Debian's Chromium (scripts/install-deps.sh); playwright-core drives it and downloads no browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a headless Chromium on a machine without network: without the background-networking
 * ones it keeps trying to reach Google's hosts, and those refused connections slow every start.
 */
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A headless Chromium with a fresh profile, and how to close it (profile folder included). */
export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = await tempDir('chromium');
  try {
    const context = await chromium.launchPersistentContext(profile.path, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 900 },
    });
    return { context, close: async () => { await context.close(); await profile.remove(); } };
  } catch (err) {
    await profile.remove();
    throw err;
  }
}

/** Builds the dashboard (server/ui) when its build is missing, as `npm run setup` would. */
export async function ensureDashboardBuilt(): Promise<void> {
  if (existsSync(join(REPO_ROOT, 'server', 'ui', 'dist', 'index.html'))) return;
  await promisify(execFile)('npm', ['run', 'build', '-w', 'server/ui'], { cwd: REPO_ROOT, timeout: 180_000 });
}

/** Where browser tests put their screenshots (git-ignored). */
export function screenshotDir(name: string): string {
  return join(REPO_ROOT, 'test-results', name);
}
