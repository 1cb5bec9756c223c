import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { loadConfig, silentLogger, startServer, type RunningServer } from '@rackcast/server';
import { AgentProcess, cmdlineFromScript } from './helpers/agent-process.js';
import { apiAuth, loginCookie, type RoleHeaders } from './helpers/api-auth.js';
import { ensureDashboardBuilt, launchBrowser, screenshotDir, type Browser } from './helpers/browser.js';
import { fakeMachine } from './helpers/fake-machine.js';
import { writeSyntheticDisk } from './helpers/synthetic-disk.js';
import { tempDir } from './helpers/temp-dir.js';

/*
 * The dashboard in a real headless Chromium against a real server on loopback (its store in a
 * temporary folder): import an image through the Images page, watch machines registered by real
 * `rackcast-agent boot` processes appear on the Machines page without a reload, plan a deploy
 * (two machines fit, one disk is too small), start it, and watch both progress bars reach 100 %
 * while the refused machine shows its reason. Screenshots go to test-results/ui/. Every step
 * waits (bounded) for what the page must show, so a step that does not appear fails the test.
 */

const MIB = 2 ** 20;
const MACS = ['52:54:00:e1:00:01', '52:54:00:e1:00:02', '52:54:00:e1:00:03'] as const;
const STEP_MS = 30_000;
const AGENT = fileURLToPath(new URL('../../preboot-image/agent/bin/rackcast-agent.js', import.meta.url));

let work: Awaited<ReturnType<typeof tempDir>>;
let server: RunningServer;
let browser: Browser;
let as: RoleHeaders;
const agents: AgentProcess[] = [];
const receivers: ChildProcess[] = [];
const shots = screenshotDir('ui');

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** A real agent process for a made-up machine with one disk, booted with the token of its iPXE script. */
async function bootAgent(mac: string, diskBytes: number): Promise<AgentProcess> {
  const machine = await fakeMachine(work.path, { mac, diskBytes, serial: `ui-${mac.slice(-2)}` });
  const script = await (await fetch(`${server.url}/boot/ipxe?mac=${mac}&uuid=&platform=pcbios&buildarch=i386`)).text();
  const agent = await AgentProcess.start(work.path, mac.replaceAll(':', ''), cmdlineFromScript(script, mac), ['--sysfs-root', machine.sysfs, '--dev-dir', machine.devDir]);
  agents.push(agent);
  return agent;
}

/** The progress bar of a machine's line on the session page. */
function bar(page: Page, mac: string) {
  return page.locator(`tr[data-line="${mac}"] [role="progressbar"]`);
}

before(async () => {
  await ensureDashboardBuilt();
  await mkdir(shots, { recursive: true });
  work = await tempDir('ui');
  const base = loadConfig(undefined, { RACKCAST_STORE_DIR: join(work.path, 'store'), RACKCAST_HTTP_PORT: '0' });
  // A group and port of this run's own: other tests may stream on loopback at the same time.
  const config = { ...base, multicast: { ...base.multicast, interface: '127.0.0.1', groupBase: `239.${randomInt(100, 200)}.${randomInt(0, 200)}.0`, portBase: randomInt(20_000, 40_000) } };
  server = await startServer(config, silentLogger(), { announceMs: 500, reportTimeoutMs: 1000, deadAfterMs: 3000, startTimeoutMs: 30_000, lostGraceMs: 30_000 });
  browser = await launchBrowser();
  as = await apiAuth(server);
  // The page acts as a logged-in operator: the login cookie, got through the API, set in the browser.
  await server.auth.accounts.addUser('technician', 'a password long enough', 'operator');
  const session = await loginCookie(server.url, 'technician', 'a password long enough');
  await browser.context.addCookies([{ name: session.name, value: session.value, url: server.url, httpOnly: true, sameSite: 'Strict' }]);
});

after(async () => {
  for (const a of agents) await a.stop();
  for (const r of receivers) if (r.exitCode === null && r.signalCode === null) r.kill('SIGTERM');
  await browser?.close();
  await server?.stop();
  await work?.remove();
});

describe('dashboard in headless Chromium', () => {
  test('import an image, see machines appear live, plan and start a deploy, watch two bars reach 100 % and a refusal with its reason', async (t) => {
    const started = Date.now();
    const page = await browser.context.newPage();
    page.setDefaultTimeout(STEP_MS);
    const disk = join(work.path, 'disk.img');
    // 24 MiB disk, data from 1 MiB to 17 MiB: a 16 MiB disk is too small for it.
    await writeSyntheticDisk(disk, 24 * MIB, [[MIB, 16 * MIB, 11]]);

    await page.goto(server.url);
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
    await page.getByText('No machines yet').waitFor();
    // Set in the page once: a reload would lose it, so its survival shows nothing needed one.
    await page.evaluate(() => { (globalThis as { rackcastNoReload?: boolean }).rackcastNoReload = true; });

    // Images: import by a path on the server, then see it listed with its version.
    await page.getByRole('link', { name: 'Images', exact: true }).click();
    await page.locator('input[name="image-name"]').fill('golden');
    await page.locator('input[name="image-file"]').fill(disk);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('status').filter({ hasText: 'Imported golden@1' }).waitFor();
    await page.locator('tr[data-image="golden"]').filter({ hasText: 'golden@1' }).waitFor();
    await page.getByRole('link', { name: 'golden', exact: true }).click();
    await page.getByTestId('versions-timeline').waitFor();
    await page.locator('tr[data-version="1"]').filter({ hasText: '1.0×' }).waitFor();
    await shot(page, '1-image-versions');

    // Machines: real agents register; their rows appear while the page stays open.
    await page.getByRole('link', { name: 'Machines', exact: true }).click();
    await Promise.all([bootAgent(MACS[0], 64 * MIB), bootAgent(MACS[1], 32 * MIB), bootAgent(MACS[2], 16 * MIB)]);
    for (const mac of MACS) await page.locator(`tr[data-mac="${mac}"]`).filter({ hasText: 'waiting' }).waitFor();
    await page.getByTestId('machine-count').filter({ hasText: '3 machines, 3 online' }).waitFor();
    await shot(page, '2-machines-live');
    await page.getByRole('link', { name: MACS[0] }).click();
    await page.getByTestId('event-log').filter({ hasText: 'register' }).waitFor();
    await page.getByText('ui-01').first().waitFor();

    // Deploy: the plans first (two fit, one refused), then the start.
    await page.getByRole('link', { name: 'Deploy', exact: true }).click();
    for (const mac of MACS) await page.locator(`input[type="checkbox"][value="${mac}"]`).check();
    await page.locator('input[name="hostname-pattern"]').fill('ui-{n}');
    await page.locator('input[name="rate"]').fill('40mbit');
    await page.getByRole('button', { name: 'Show plans' }).click();
    await page.locator(`li[data-plan="${MACS[0]}"]`).filter({ hasText: 'ui-1' }).filter({ hasText: 'Target disk' }).waitFor();
    await page.locator(`li[data-plan="${MACS[1]}"]`).filter({ hasText: 'ui-2' }).waitFor();
    await page.locator(`li[data-plan="${MACS[2]}"]`).filter({ hasText: 'RC_ERR_PLAN_DISK_TOO_SMALL' }).waitFor();
    await shot(page, '3-deploy-plans');
    await page.getByRole('button', { name: 'Start deploy' }).click();

    // Session: both bars move and reach 100 %, the refused machine shows its reason.
    await page.waitForURL(/#\/sessions\/\d+$/);
    const seen = new Set<number>();
    const deadline = Date.now() + 120_000;
    let values: number[] = [];
    let midShot = false;
    for (;;) {
      values = await Promise.all(MACS.slice(0, 2).map(async (mac) => Number(await bar(page, mac).getAttribute('aria-valuenow', { timeout: 1000 }).catch(() => '-1'))));
      for (const v of values) seen.add(v);
      if (values.every((v) => v === 100)) break;
      if (Date.now() > deadline) throw new Error(`progress bars did not reach 100 %: ${JSON.stringify(values)}, seen ${[...seen].join(',')}`);
      if (!midShot && values.some((v) => v > 0 && v < 100)) {
        midShot = true;
        await shot(page, '4-session-progress');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok([...seen].some((v) => v > 0 && v < 100), `a bar showed progress between 0 and 100 % (seen: ${[...seen].sort((a, b) => a - b).join(', ')})`);
    for (const mac of MACS.slice(0, 2)) await page.locator(`tr[data-line="${mac}"][data-state="done"]`).waitFor();
    await page.getByTestId('failures').filter({ hasText: MACS[2] }).filter({ hasText: 'RC_ERR_PLAN_DISK_TOO_SMALL' }).waitFor();
    await page.getByTestId('throughput-plot').waitFor();
    await shot(page, '5-session-done');

    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    await page.locator('tr[data-session]').filter({ hasText: 'golden@1' }).waitFor();
    assert.equal(await page.evaluate(() => (globalThis as { rackcastNoReload?: boolean }).rackcastNoReload), true, 'the page was never reloaded');
    await shot(page, '6-sessions');
    t.diagnostic(`dashboard flow in ${((Date.now() - started) / 1000).toFixed(1)} s; bar values seen: ${[...seen].sort((a, b) => a - b).join(', ')}`);
  });
  test('a plain multicast session: two `rackcast-agent receive` processes on loopback, both bars reach 100 %', async () => {
    // The image the first test imported through the page.
    const page = await browser.context.newPage();
    page.setDefaultTimeout(STEP_MS);
    const created = await fetch(`${server.url}/api/sessions`, { method: 'POST', headers: { ...as.operator, 'content-type': 'application/json' }, body: JSON.stringify({ image: 'golden', expect: 2, rate: '40mbit' }) });
    assert.equal(created.status, 201);
    const { session, tokens } = (await created.json()) as { session: { id: number }; tokens: string[] };
    await page.goto(`${server.url}/#/sessions/${session.id}`);
    await page.getByText('No machine has joined yet').waitFor();
    for (const [i, token] of tokens.entries()) {
      const target = join(work.path, `receiver-${i + 1}.img`);
      receivers.push(spawn(process.execPath, [AGENT, 'receive', '--server', server.url, '--session', String(session.id), '--token', token, '--target', target, '--iface', '127.0.0.1', '--quiet'], { stdio: 'ignore' }));
    }
    for (const id of ['r1', 'r2']) await page.locator(`tr[data-line="${id}"]`).waitFor();
    for (const id of ['r1', 'r2']) await page.locator(`tr[data-line="${id}"][data-state="done"] [role="progressbar"][aria-valuenow="100"]`).waitFor({ timeout: 120_000 });
    await page.getByText('complete', { exact: true }).first().waitFor();
    await shot(page, '7-stream-session-done');
  });
});
