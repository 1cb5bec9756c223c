import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { loadConfig, silentLogger, startServer, type RunningServer } from '@rackcast/server';
import type { CapturedConfig, MachineProfile } from '@rackcast/wire';
import { AgentProcess, cmdlineFromScript } from './helpers/agent-process.js';
import { apiAuth, type RoleHeaders } from './helpers/api-auth.js';
import { ensureDashboardBuilt, launchBrowser, screenshotDir, type Browser } from './helpers/browser.js';
import { fakeMachine } from './helpers/fake-machine.js';
import { writeSyntheticDisk } from './helpers/synthetic-disk.js';
import { tempDir } from './helpers/temp-dir.js';

/*
 * The dashboard's sign-in, roles and Recovery page in a real headless Chromium against a real
 * server on loopback (its store, accounts included, in a temporary LevelDB): sign in with a
 * wrong and then the right password, a viewer's disabled buttons and the server's 403 message,
 * an admin's API token made on the Accounts page (and checked against the API), and a restore
 * of a captured version onto a replacement machine with other MACs: the profile diff, the NIC
 * map, a refusal that blocks the Restore button, and the started restore's session page.
 * Screenshots go to test-results/ui-accounts/. Every step waits at most STEP_MS.
 */

const MIB = 2 ** 20;
const STEP_MS = 30_000;
const ADMIN = { name: 'alice', password: 'correct horse battery', role: 'admin' } as const;
const VIEWER = { name: 'vera', password: 'viewer password 1', role: 'viewer' } as const;
/** The machine the version was captured from (not registered here: it died), its replacement, and a machine too small. */
const SOURCE_MAC = '52:54:00:7a:00:01';
const REPLACEMENT_MAC = '52:54:00:7a:00:02';
const SMALL_MAC = '52:54:00:7a:00:03';

let work: Awaited<ReturnType<typeof tempDir>>;
let server: RunningServer;
let browser: Browser;
let auth: RoleHeaders;
const agents: AgentProcess[] = [];
const shots = screenshotDir('ui-accounts');

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function call<T>(method: string, path: string, headers: Readonly<Record<string, string>>, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${server.url}${path}`, {
    method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
}

async function newPage(): Promise<Page> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(STEP_MS);
  return page;
}

/** Signs in through the form (the page must be on #/login). */
async function signIn(page: Page, user: { name: string; password: string }): Promise<void> {
  await page.locator('input[name="username"]').fill(user.name);
  await page.locator('input[name="password"]').fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('signed-in-user').filter({ hasText: user.name }).waitFor();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/#\/login$/);
}

/** A real agent process for a made-up machine with one disk, booted with the token of its iPXE script. */
async function bootAgent(mac: string, diskBytes: number): Promise<void> {
  const machine = await fakeMachine(work.path, { mac, diskBytes, serial: `ra-${mac.slice(-2)}` });
  const script = await (await fetch(`${server.url}/boot/ipxe?mac=${mac}&uuid=&platform=pcbios&buildarch=i386`)).text();
  agents.push(await AgentProcess.start(work.path, mac.replaceAll(':', ''), cmdlineFromScript(script, mac), ['--sysfs-root', machine.sysfs, '--dev-dir', machine.devDir]));
}

/** The profile a machine's agent uploaded, once it has (bounded wait). */
async function profileOf(mac: string): Promise<MachineProfile> {
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    const { status, json } = await call<{ machine: { profile: MachineProfile | null } }>('GET', `/api/machines/${mac}`, auth.viewer);
    if (status === 200 && json.machine.profile !== null) return json.machine.profile;
    if (Date.now() > deadline) throw new Error(`${mac} uploaded no profile in ${STEP_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Stores web@2 as a capture of SOURCE_MAC an hour ago: web@1's blocks, the source machine's
 * profile (the replacement's hardware with a 48 MiB disk of another serial and no NICs listed)
 * and its captured configuration (host name web-07, eth0 static on SOURCE_MAC).
 */
async function storeCapturedVersion(target: MachineProfile): Promise<void> {
  const v1 = await server.store.resolveVersion('web', 1);
  const profile: MachineProfile = {
    ...target,
    system: { ...target.system, uuid: '4c4c4544-0000-0000-0000-000000000007', serial: 'SRC-07' },
    disks: target.disks.map((d) => ({ ...d, sizeBytes: 48 * MIB, serial: 'src-disk-07' })),
    nics: [],
  };
  const capturedAt = new Date(Date.now() - 3_600_000);
  const config: CapturedConfig = {
    schema: 1, capturedAt: capturedAt.toISOString(), hostname: 'web-07', firmwareMode: target.firmware.mode,
    disk: { path: '/dev/vda', sizeBytes: 48 * MIB }, partitionTable: null, filesystems: [],
    interfaces: [{ name: 'eth0', mac: SOURCE_MAC, source: 'ifupdown', dhcp4: false, dhcp6: false, addresses: ['10.0.0.5/24'], gateways: ['10.0.0.1'], dns: ['10.0.0.53'] }],
    bootEntries: null, problems: [],
  };
  const manifest = await server.store.readManifest(v1);
  await server.store.commitManifest('web', manifest, { source: { kind: 'capture', machine: SOURCE_MAC }, createdAt: capturedAt, profile: JSON.parse(JSON.stringify(profile)) as never, config: JSON.parse(JSON.stringify(config)) as never }, new Map());
}

/** A datetime-local value (the browser's zone is this process's) for a time. */
function localInput(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

before(async () => {
  await ensureDashboardBuilt();
  await mkdir(shots, { recursive: true });
  work = await tempDir('ui-accounts');
  const base = loadConfig(undefined, { RACKCAST_STORE_DIR: join(work.path, 'store'), RACKCAST_HTTP_PORT: '0' });
  // A group and port of this run's own: other tests may stream on loopback at the same time.
  const config = { ...base, multicast: { ...base.multicast, interface: '127.0.0.1', groupBase: `239.${randomInt(100, 200)}.${randomInt(0, 200)}.0`, portBase: randomInt(20_000, 40_000) } };
  server = await startServer(config, silentLogger(), { announceMs: 500, reportTimeoutMs: 1000, deadAfterMs: 3000, startTimeoutMs: 30_000, lostGraceMs: 30_000 });
  auth = await apiAuth(server);
  for (const user of [ADMIN, VIEWER]) assert.equal((await call('POST', '/api/users', auth.admin, user)).status, 201);
  browser = await launchBrowser();
});

after(async () => {
  for (const a of agents) await a.stop();
  await browser?.close();
  await server?.stop();
  await work?.remove();
});

describe('dashboard accounts, roles and recovery in headless Chromium', () => {
  test('sign-in: a wrong password shows the server\'s message, the right one opens the page asked for, sign out ends the login', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/#/images`);
    await page.waitForURL(/#\/login$/);
    await page.locator('input[name="username"]').fill(ADMIN.name);
    await page.locator('input[name="password"]').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'RC_ERR_AUTH_FAILED' }).filter({ hasText: 'wrong user name or password' }).waitFor();
    await shot(page, '1-wrong-password');

    await signIn(page, ADMIN);
    await page.waitForURL(/#\/images$/);
    await page.getByTestId('signed-in').filter({ hasText: 'admin' }).waitFor();
    // The events socket went live with the login cookie alone (no token in the URL).
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("rackcast.token")'), null);
    await shot(page, '2-signed-in');

    await signOut(page);
    const after = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    assert.equal(after, 401, 'the login ended on the server');
    await page.close();
  });

  test('a viewer sees the pages, but buttons that change things are disabled with the role they need; the server\'s 403 is shown', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/#/deploy`);
    await page.waitForURL(/#\/login$/);
    await signIn(page, VIEWER);
    await page.waitForURL(/#\/deploy$/);
    const start = page.getByRole('button', { name: 'Start deploy' });
    assert.equal(await start.isDisabled(), true);
    assert.match(await start.getAttribute('title') ?? '', /needs the operator role.*vera \(viewer\)/);
    assert.equal(await page.getByRole('button', { name: 'Show plans' }).isDisabled(), true);
    await shot(page, '3-viewer-deploy');
    await page.getByRole('link', { name: 'Images', exact: true }).click();
    assert.equal(await page.getByRole('button', { name: 'Import' }).isDisabled(), true);
    assert.equal(await page.getByRole('link', { name: 'Accounts' }).count(), 0, 'no Accounts link for a viewer');
    // The audit log is the server's to refuse: the page shows its 403 message.
    await page.goto(`${server.url}/#/audit`);
    await page.getByRole('alert').filter({ hasText: 'RC_ERR_FORBIDDEN' }).filter({ hasText: 'needs the admin role' }).waitFor();
    await shot(page, '4-viewer-audit-refused');
    await signOut(page);
    await page.close();
  });

  test('an admin creates an API token on the Accounts page: the secret is shown once and works until revoked', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/#/accounts`);
    await page.waitForURL(/#\/login$/);
    await signIn(page, ADMIN);
    await page.waitForURL(/#\/accounts$/);
    await page.locator(`tr[data-user="${VIEWER.name}"]`).filter({ hasText: 'viewer' }).waitFor();
    await page.locator('input[name="token-name"]').fill('ci-deploys');
    await page.locator('form[aria-label="Create an API token"] select[name="role"]').selectOption('operator');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
    assert.match(secret, /^rct_/);
    await page.locator('tr[data-token="ci-deploys"]').filter({ hasText: 'operator' }).filter({ hasText: ADMIN.name }).waitFor();
    await shot(page, '5-token-created');

    const me = await call<{ user: { name: string; role: string }; via: string }>('GET', '/api/auth/me', { authorization: `Bearer ${secret}` });
    assert.deepEqual([me.status, me.json.user.role, me.json.via], [200, 'operator', 'token']);
    const row = page.locator('tr[data-token="ci-deploys"]');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke ci-deploys' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await call('GET', '/api/auth/me', { authorization: `Bearer ${secret}` })).status, 401, 'a revoked token is refused');

    await page.getByRole('link', { name: 'Audit', exact: true }).click();
    // The token's creation: alice's request answered 201 (the only 201 she caused).
    await page.getByTestId('audit-table').locator('tr').filter({ hasText: ADMIN.name }).filter({ hasText: 'session' }).filter({ hasText: '201' }).first().waitFor();
    await shot(page, '6-audit');
    await signOut(page);
    await page.close();
  });

  test('recovery: the diff and NIC map for a replacement with another MAC; a refusal blocks Restore; Restore opens its session', async () => {
    const disk = join(work.path, 'web.img');
    // 24 MiB disk, data from 1 MiB to 17 MiB: a 16 MiB disk is too small for it.
    await writeSyntheticDisk(disk, 24 * MIB, [[MIB, 16 * MIB, 21]]);
    assert.equal((await call('POST', '/api/images/web/versions', auth.operator, { file: disk })).status, 201);
    await Promise.all([bootAgent(REPLACEMENT_MAC, 64 * MIB), bootAgent(SMALL_MAC, 16 * MIB)]);
    await storeCapturedVersion(await profileOf(REPLACEMENT_MAC));
    await profileOf(SMALL_MAC);

    const page = await newPage();
    await page.goto(`${server.url}/#/recovery`);
    await page.waitForURL(/#\/login$/);
    await signIn(page, ADMIN);
    await page.waitForURL(/#\/recovery$/);
    // The machine with a captured version is listed first, and its capture is the version offered.
    await page.locator('select[name="machine"] option').first().filter({ hasText: `${SOURCE_MAC} — 1 captured version` }).waitFor({ state: 'attached' });
    await page.locator('select[name="machine"]').selectOption(SOURCE_MAC);
    await page.locator('select[name="version"] option[value="2"]').filter({ hasText: 'captured from this machine' }).waitFor({ state: 'attached' });
    assert.equal(await page.locator('select[name="version"]').inputValue(), '2');
    await page.locator('input[name="onto"]').fill(REPLACEMENT_MAC);
    await page.getByRole('button', { name: 'Show plan' }).click();

    const diff = page.getByTestId('restore-diff');
    await diff.locator('tr[data-area="nic"][data-severity="adapt"]').filter({ hasText: SOURCE_MAC }).filter({ hasText: REPLACEMENT_MAC }).waitFor();
    await diff.locator('tr[data-area="disk"][data-severity="adapt"]').filter({ hasText: '48.0 MiB' }).filter({ hasText: '64.0 MiB' }).waitFor();
    assert.ok(await diff.locator('tr[data-severity="info"]').count() > 0, 'information rows are listed too');
    await page.getByTestId('restore-nics').locator('tr[data-interface="eth0"]').filter({ hasText: REPLACEMENT_MAC }).filter({ hasText: 'static 10.0.0.5/24' }).waitFor();
    await page.getByTestId('restore-disk-plan').filter({ hasText: 'web-07' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Restore', exact: true }).isEnabled(), true);
    await shot(page, '7-recovery-plan');

    // Too small a disk: a refusal row, and the Restore button stays disabled.
    await page.locator('input[name="onto"]').fill(SMALL_MAC);
    await page.getByRole('button', { name: 'Show plan' }).click();
    await page.getByTestId('restore-diff').locator('tr[data-area="disk"][data-severity="refuse"]').waitFor();
    await page.getByTestId('restore-refusal').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Restore', exact: true }).isDisabled(), true);
    await shot(page, '8-recovery-refused');

    // A point in time instead of a version: the capture before it is the one planned.
    await page.locator('input[name="onto"]').fill(REPLACEMENT_MAC);
    await page.locator('input[name="point"]').nth(1).check();
    await page.locator('input[name="at"]').fill(localInput(new Date(Date.now() - 60_000)));
    await page.getByRole('button', { name: 'Show plan' }).click();
    await page.getByTestId('restore-plan').locator('h2').filter({ hasText: 'web@2' }).filter({ hasText: REPLACEMENT_MAC }).waitFor();

    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.getByTestId('restore-started').getByRole('link', { name: /session \d+/ }).click();
    await page.waitForURL(/#\/sessions\/\d+$/);
    await page.locator(`tr[data-line="${REPLACEMENT_MAC}"]`).waitFor();
    await page.locator(`tr[data-line="${REPLACEMENT_MAC}"][data-state="done"] [role="progressbar"][aria-valuenow="100"]`).waitFor({ timeout: 120_000 });
    await shot(page, '9-restore-done');
    await page.close();
  });
});
