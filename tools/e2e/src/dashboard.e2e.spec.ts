import { buildOciLayout, makeTempDir, skopeoCopy, TempDir, waitFor } from '@silo/testing';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { freePorts, Platform, Ports, ROOT } from './platform';
import { Credentials } from './registry-client';

/**
 * The dashboard in a real browser — Debian's headless Chromium driven by playwright-core, never a
 * downloaded browser — against the platform as `npm start` runs it: log in as the generated
 * admin, see the node, deploy a service from the form with an image this test pushed, watch it
 * converge, read its logs as they follow, look at the images. Screenshots of every step go to
 * $SILO_E2E_ARTIFACTS/dashboard (default tools/e2e/artifacts/dashboard, ignored by git).
 */

const CHROMIUM = process.env['SILO_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.env['SILO_E2E_ARTIFACTS'] ?? join(ROOT, 'tools/e2e/artifacts'), 'dashboard');
const DASHBOARD_INDEX = join(ROOT, 'dist/apps/dashboard/index.html');
const REPOSITORY = 'team/hello-dashboard';
const SERVICE = 'hello-dashboard';
const COMMAND = `sh -c 'while true; do echo hello-dashboard; sleep 1; done'`;

const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;
const skipped = existsSync(CHROMIUM) ? '' : ` — SKIPPED: ${CHROMIUM} is absent (Debian: apt-get install chromium; .ci/run installs it)`;

describeWithChromium(`dashboard: headless Chromium against the platform${skipped}`, () => {
  let home: TempDir;
  let work: TempDir;
  let ports: Ports;
  let platform: Platform;
  let admin: Credentials;
  let baseUrl: string;
  let browser: Browser | undefined;
  let page: Page;
  let nodeId: string;
  const pageErrors: string[] = [];
  let step = 0;

  const shot = async (name: string): Promise<void> => {
    step += 1;
    await page.screenshot({ path: join(ARTIFACTS, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const byTestId = (id: string) => page.getByTestId(id);
  const hash = () => new URL(page.url()).hash;
  const nodeRow = (id: string) => byTestId(`node-row-${id}`);

  beforeAll(async () => {
    if (!existsSync(DASHBOARD_INDEX)) throw new Error(`${DASHBOARD_INDEX} is missing: run npm run build first (npm test does it)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    home = await makeTempDir('silo-e2e-dashboard-');
    work = await makeTempDir('silo-e2e-dashboard-images-');
    ports = await freePorts();
    platform = new Platform(home.path, ports);
    await platform.start();
    admin = JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')) as Credentials;
    baseUrl = `http://127.0.0.1:${ports.api}`;

    // a busybox image; the service's command (typed into the form) prints a line every second
    const image = await buildOciLayout(join(work.path, 'hello'), { tag: 'v1', layers: [{ busybox: true }] });
    await skopeoCopy(image.skopeoRef, `127.0.0.1:${ports.registry}/${REPOSITORY}:v1`, { destCreds: `${admin.username}:${admin.password}` });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 180_000);

  afterAll(async () => {
    // the last state of the page, whatever happened (a failed step's screen is the useful one)
    if (page) await shot('final').catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await platform?.removeWorkloads().catch((err: Error) => process.stderr.write(`afterAll: ${err.message}\n`));
    await platform?.interrupt();
    await home?.cleanup();
    await work?.cleanup();
  }, 120_000);

  it('the api serves the dashboard at / and index.html for unknown paths (not for /api)', async () => {
    for (const path of ['/', '/services/deep/link']) {
      const res = await fetch(`${baseUrl}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('<div id="app">');
    }
    const missing = await fetch(`${baseUrl}/api/v1/no-such-route`, { headers: { authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}` } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/json');
  });

  it('refuses a wrong password with the api message, then logs in as the generated admin', async () => {
    await page.goto(baseUrl);
    await byTestId('login-form').waitFor();
    await shot('login');
    await byTestId('login-username').fill(admin.username);
    await byTestId('login-password').fill(`${admin.password}-wrong`);
    await byTestId('login-submit').click();
    await byTestId('login-error').waitFor();
    expect(await byTestId('login-error').textContent()).toMatch(/UNAUTHORIZED/);
    await shot('login-refused');

    await byTestId('login-password').fill(admin.password);
    await byTestId('login-submit').click();
    await byTestId('whoami').waitFor();
    expect(await byTestId('whoami').textContent()).toContain(`${admin.username} (admin)`);
  });

  it('the overview shows the local node ready, with capacity bars, and the live event stream', async () => {
    const row = page.locator('[data-testid^="node-row-"]').first();
    await row.waitFor({ timeout: 60_000 });
    nodeId = (await row.getAttribute('data-node-id')) ?? '';
    expect(nodeId).toMatch(/^node-[0-9a-f]+$/);
    await byTestId(`node-state-${nodeId}`).filter({ hasText: /^ready$/ }).waitFor({ timeout: 60_000 });
    expect(await row.locator('.bar').count()).toBe(2);
    await byTestId('events-status').filter({ hasText: 'live' }).waitFor();
    await shot('overview');
  });

  it('the node page shows its resources and (for an admin) the availability actions', async () => {
    await nodeRow(nodeId).locator('a').first().click();
    await byTestId('node-title').waitFor();
    expect(hash()).toBe(`#/nodes/${nodeId}`);
    expect(await byTestId('node-state').textContent()).toBe('ready');
    await byTestId('availability-drain').waitFor();
    await shot('node');
    await byTestId('nav-overview').click();
    await byTestId('nodes-table').waitFor();
  });

  it('deploys a service from the form', async () => {
    await byTestId('nav-deploy').click();
    await byTestId('deploy-form').waitFor();
    await byTestId('deploy-name').fill(SERVICE);
    await byTestId('deploy-image').fill(`${REPOSITORY}:v1`);
    await byTestId('deploy-replicas').fill('1');
    await byTestId('deploy-command').fill(COMMAND);
    await byTestId('deploy-env').fill('GREETING=hello');
    await shot('deploy-form');
    await byTestId('deploy-submit').click();
    await byTestId('service-title').waitFor();
    expect(hash()).toBe(`#/services/${SERVICE}`);
    expect(await byTestId('service-image').textContent()).toContain(`${REPOSITORY}:v1`);
  });

  it('watches it converge to 1/1 with its task running on the node', async () => {
    await byTestId('service-replicas').filter({ hasText: /^1\/1$/ }).waitFor({ timeout: 150_000 });
    const task = byTestId('task-row').filter({ has: byTestId('task-state').filter({ hasText: /^running$/ }) });
    await task.first().waitFor({ timeout: 30_000 });
    expect(await task.first().textContent()).toContain(nodeId);
    await shot('service-running');
  }, 180_000);

  it('reads its logs as they follow', async () => {
    const hello = byTestId('log-line').filter({ hasText: 'hello-dashboard' });
    await hello.first().waitFor({ timeout: 60_000 });
    const before = await hello.count();
    // one line a second: the stream stays open and more arrive without a reload
    await waitFor(async () => (await hello.count()) >= before + 2, { timeoutMs: 30_000, intervalMs: 500, description: 'more log lines to follow' });
    expect(await byTestId('logs-state').textContent()).toBe('live');
    await shot('service-logs');
  });

  it('the overview lists the service at 1/1 and shows its events', async () => {
    await byTestId('nav-overview').click();
    await byTestId(`service-running-${SERVICE}`).filter({ hasText: /^1\/1$/ }).waitFor();
    await byTestId('event-item').filter({ hasText: SERVICE }).first().waitFor({ timeout: 30_000 });
    await shot('overview-with-service');
  });

  it('the images page lists the pushed repository, its tag, digest and size', async () => {
    await byTestId('nav-images').click();
    await byTestId(`repository-row-${REPOSITORY}`).waitFor();
    await byTestId('usage-total').waitFor();
    await shot('images');
    await byTestId(`repository-row-${REPOSITORY}`).locator('a').first().click();
    await byTestId('tag-row-v1').waitFor();
    expect(await byTestId('tag-row-v1').textContent()).toMatch(/sha256:[0-9a-f]{12}/);
    await shot('repository');
  });

  it('removes the service from its page', async () => {
    await page.goto(`${baseUrl}/#/services/${SERVICE}`);
    await byTestId('remove').waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await byTestId('remove').click();
    await byTestId('services-card').waitFor();
    expect(hash()).toBe('#/');
    await byTestId(`service-row-${SERVICE}`).waitFor({ state: 'detached', timeout: 30_000 });
    await shot('removed');
  });

  it('signs out back to the login page; the old token no longer works', async () => {
    // (evaluated in the page: the strings keep DOM globals out of this Node program's types)
    const session = await page.evaluate<string | null>(`sessionStorage.getItem('silo.session')`);
    const token = (JSON.parse(session ?? '{}') as { token?: string }).token;
    expect(token).toBeTruthy();
    await byTestId('logout').click();
    await byTestId('login-message').filter({ hasText: 'Signed out' }).waitFor();
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('silo.session')`)).toBeNull();
    const res = await fetch(`${baseUrl}/api/v1/auth/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    await shot('signed-out');
  });

  it('no uncaught error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
