// The web dashboard in a real browser (Debian's chromium driven by playwright-core) against a
// whole platform on real Docker: log in, see an app, scale it, watch its request chart and log,
// roll back; a second user sees none of it; no cookie, no page; no CSRF token, no change.
// Screenshots of the pages go to docs/images/ (docs/dashboard.md shows them).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildDashboard } from '../bin/build-dashboard.ts';
import { ensureBusyboxImage } from '../builder/index.ts';
import { eventually } from './helpers/eventually.ts';
import { commitFiles, run, tempDir, userEnv } from './helpers/git.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const IMAGES = path.resolve(import.meta.dirname, '../docs/images');
const CHROMIUM = process.env.PAAS_CHROMIUM ?? '/usr/bin/chromium';
const app = `dash-${process.pid % 100000}`;

/** What the functions run inside the page use of it (this project compiles without the DOM lib). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
  cookie: string;
  documentElement: { outerHTML: string };
};

describe('web dashboard', { timeout: 240_000 }, () => {
  let p: TestPlatform;
  let browser: Browser;
  let alice: { token: string; email: string };
  let bob: { token: string; email: string };
  let ctx: BrowserContext;
  let page: Page;
  /** Script errors and CSP violations seen in any page. */
  const pageErrors: string[] = [];

  async function newUser(email: string): Promise<{ token: string; email: string }> {
    const res = await p.api<{ access_token: { token: string } }>('POST', '/users', { email });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { token: res.body.access_token.token, email };
  }

  /** A fresh browser context logged in with `token` on the login form. */
  async function logIn(token: string, screenshot?: string): Promise<{ ctx: BrowserContext; page: Page }> {
    const c = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const pg = await c.newPage();
    pg.on('dialog', (d) => void d.accept());
    pg.on('pageerror', (e) => pageErrors.push(e.message));
    pg.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text()); });
    await pg.goto(`${p.controller.url}/dashboard/`);
    await pg.fill('input[name=token]', token);
    if (screenshot) await pg.screenshot({ path: path.join(IMAGES, screenshot) });
    await pg.click('button[type=submit]');
    await pg.waitForSelector('[data-testid=user]');
    return { ctx: c, page: pg };
  }

  const as = (token: string) => async <T>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${p.controller.url}${url}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };

  before(async () => {
    fs.mkdirSync(IMAGES, { recursive: true });
    const docker = (await import('dockerode')).default;
    await Promise.all([
      buildDashboard(),
      ensureBusyboxImage({ docker: new docker(), image: 'paas/busybox:test', log: () => {} }),
    ]);
    [p, browser] = await Promise.all([
      startTestPlatform(),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    ]);
    alice = await newUser('alice@example.com');
    bob = await newUser('bob@example.com');
    // Alice's app: a busybox httpd built from a Dockerfile, pushed with git as alice; then a
    // config change, so that there is a release to roll back from.
    const api = as(alice.token);
    assert.equal((await api('POST', '/apps', { name: app })).status, 201);
    const home = tempDir('paas-home-');
    fs.writeFileSync(path.join(home, '.netrc'), `machine 127.0.0.1 login alice password ${alice.token}\n`, { mode: 0o600 });
    const env = userEnv(home);
    const dir = tempDir('paas-app-');
    await commitFiles(dir, {
      Dockerfile: 'FROM paas/busybox:test\nCOPY www /www\nCMD ["sh", "-c", "echo booted on $PORT; exec httpd -f -v -p $PORT -h /www"]\n',
      'www/index.html': 'hello from the dashboard test\n',
    }, 'v1', env);
    const push = await run('git', ['push', `${p.controller.url}/${app}.git`, 'master'], { cwd: dir, env });
    assert.equal(push.code, 0, push.stderr);
    assert.equal((await api('PATCH', `/apps/${app}/config-vars`, { GREETING: 'hello', SECRET_KEY: 's3cr3t-value' })).status, 200);
  });

  after(async () => {
    await browser?.close();
    await p?.stop();
  });

  test('without the session cookie every dashboard path answers the login page, the API part 401, the script 401', async () => {
    for (const url of ['/dashboard', '/dashboard/', `/dashboard/apps/${app}`, '/dashboard/status']) {
      const res = await fetch(`${p.controller.url}${url}`);
      const html = await res.text();
      assert.equal(res.status, 200, url);
      assert.match(html, /<form method="post" action="\/dashboard\/login"/, url);
      assert.doesNotMatch(html, /app\.js|csrf-token/, url);
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.doesNotMatch(res.headers.get('content-security-policy') ?? '', /unsafe-inline/);
    }
    const apiRes = await fetch(`${p.controller.url}/dashboard/api/apps`);
    assert.equal(apiRes.status, 401);
    assert.equal((await apiRes.json() as { id: string }).id, 'unauthorized');
    assert.equal((await fetch(`${p.controller.url}/dashboard/assets/app.js`)).status, 401);
    // A forged cookie is no session either.
    const forged = await fetch(`${p.controller.url}/dashboard/api/apps`, { headers: { cookie: `paas_session=${'A'.repeat(43)}` } });
    assert.equal(forged.status, 401);

    // The login form: a wrong token, or a post without the form's own token, makes no session.
    const form = await fetch(`${p.controller.url}/dashboard/`);
    const loginCookie = (form.headers.get('set-cookie') ?? '').split(';')[0];
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const post = (fields: Record<string, string>, cookie: string) => fetch(`${p.controller.url}/dashboard/login`, {
      method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields),
    });
    const wrong = await post({ csrf, token: 'paas_not-a-token' }, loginCookie);
    assert.equal(wrong.status, 401);
    assert.doesNotMatch(wrong.headers.get('set-cookie') ?? '', /paas_session=[^;]/);
    const noFormToken = await post({ token: alice.token }, loginCookie);
    assert.equal(noFormToken.status, 403);
    assert.doesNotMatch(noFormToken.headers.get('set-cookie') ?? '', /paas_session=[^;]/);
  });

  test('alice logs in with her token and sees her app; the cookie is HttpOnly, SameSite=Strict, scoped to /dashboard', async () => {
    ({ ctx, page } = await logIn(alice.token, 'dashboard-login.png'));
    const row = page.locator(`[data-testid=app-row][data-app="${app}"]`);
    await row.waitFor();
    await page.waitForFunction((a) => /web: 1\/1 up/.test(document.querySelector(`[data-app="${a}"]`)?.textContent ?? ''), app, { timeout: 15_000 });
    assert.match(await row.textContent() ?? '', /v2/);
    await page.locator('svg.sparkline').first().waitFor();
    const cookies = await ctx.cookies();
    const session = cookies.find((c) => c.name === 'paas_session');
    assert.ok(session);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/dashboard');
    // The page's script can see neither the cookie nor the token.
    const visible = await page.evaluate(() => `${document.cookie}|${document.documentElement.outerHTML}`);
    assert.doesNotMatch(visible, new RegExp(alice.token));
    assert.doesNotMatch(visible, /paas_session/);
  });

  test('alice scales web to 2 and sees two dynos up', async () => {
    await page.click(`[data-testid=app-row][data-app="${app}"] a`);
    await page.waitForSelector('[data-testid=dynos] [data-testid=dyno]');
    await page.fill('[data-testid=scale-web] input[name=quantity]', '2');
    await page.click('[data-testid=scale-web] button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=dyno][data-state=up]').length === 2, undefined, { timeout: 30_000 });
    assert.deepEqual(await page.locator('[data-testid=dyno]').evaluateAll((els) => els.map((e) => e.getAttribute('data-dyno')).sort()), ['web.1', 'web.2']);
    const formation = await as(alice.token)<Array<{ type: string; quantity: number }>>('GET', `/apps/${app}/formation`);
    assert.equal(formation.body.find((f) => f.type === 'web')?.quantity, 2);
  });

  test('the request chart moves after traffic, and a new log line arrives live', async () => {
    const summary = page.locator('[data-testid=chart-requests-summary]');
    await summary.waitFor();
    const before = Number(/^(\d+)/.exec(await summary.textContent() ?? '')?.[1]);
    await page.waitForFunction(() => document.querySelector('[data-testid=log-state]')?.textContent === 'live', undefined, { timeout: 10_000 });
    const probe = `/probe-${Date.now()}`;
    for (let i = 0; i < 12; i++) assert.equal((await p.viaRouter(app, i === 0 ? probe : '/')).status, i === 0 ? 404 : 200);
    await p.flushMetrics();
    // A range switch loads at once (else the charts reload every 10 s): the day's chart
    // (10-minute points), then the hour's, both counting the new requests.
    const counted = (range: string, n: number) => page.waitForFunction(([r, least]) => {
      const text = document.querySelector('[data-testid=chart-requests-summary]')?.textContent ?? '';
      return text.includes(`in the last ${r}`) && Number(/^(\d+)/.exec(text)?.[1]) >= Number(least);
    }, [range, n + 12] as const, { timeout: 15_000 });
    await page.click('[data-testid=range-day]');
    await counted('day', before);
    await page.click('[data-testid=range-hour]');
    await counted('hour', before);
    // The router's line for the probe request reaches the page over the event stream.
    await page.waitForFunction((path) => (document.querySelector('[data-testid=log-lines]')?.textContent ?? '').includes(`path="${path}"`), probe, { timeout: 10_000 });
  });

  test('config values stay hidden until revealed', async () => {
    const secret = page.locator('[data-testid=config-var][data-key=SECRET_KEY]');
    await secret.waitFor();
    assert.doesNotMatch(await secret.textContent() ?? '', /s3cr3t-value/);
    await secret.locator('button').click();
    assert.match(await secret.textContent() ?? '', /s3cr3t-value/);
    await secret.locator('button').click();
  });

  test('alice rolls back to v1 and sees v3 current', async () => {
    await page.click('[data-testid=rollback-v1]');
    await page.waitForFunction(() => /current/.test(document.querySelector('[data-testid=release][data-version="3"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    assert.match(await page.locator('[data-testid=release][data-version="3"]').textContent() ?? '', /Rollback to v1/);
    const config = await as(alice.token)<Record<string, string>>('GET', `/apps/${app}/config-vars`);
    assert.equal(config.body.SECRET_KEY, undefined);
    // The rollback reloads the dynos too: two of v3, up.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=dyno][data-state=up][data-release="3"]').length === 2, undefined, { timeout: 30_000 });
    await page.locator('[data-testid=build] button').first().click();
    await page.waitForFunction(() => /Building|Dockerfile|Step/i.test(document.querySelector('[data-testid=build-log]')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await page.screenshot({ path: path.join(IMAGES, 'dashboard-app.png'), fullPage: true });
    // Back to the list: two dynos, the rollback as last release, the traffic in the sparkline.
    await page.click('header nav a');
    await page.waitForFunction((a) => /web: 2\/2 up[\s\S]*v3/.test(document.querySelector(`[data-app="${a}"]`)?.textContent ?? ''), app, { timeout: 15_000 });
    await page.screenshot({ path: path.join(IMAGES, 'dashboard-apps.png') });
  });

  test('a change without the CSRF token is refused, with a wrong one too; the same change with it passes', async () => {
    const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const patch = (headers: Record<string, string>, quantity = 0) => fetch(`${p.controller.url}/dashboard/api/apps/${app}/formation/web`, {
      method: 'PATCH', headers: { cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ quantity }),
    });
    for (const headers of [{}, { 'x-csrf-token': 'wrong' }] as Array<Record<string, string>>) {
      const res = await patch(headers);
      assert.equal(res.status, 403);
      assert.equal((await res.json() as { id: string }).id, 'csrf_failed');
    }
    // From the page itself, without the header: refused as well.
    const fromPage = await page.evaluate(async (a) => (await fetch(`/dashboard/api/apps/${a}/formation/web`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ quantity: 0 }),
    })).status, app);
    assert.equal(fromPage, 403);
    // Another origin, even with the right token: refused.
    const csrf = await page.locator('meta[name=csrf-token]').getAttribute('content');
    assert.equal((await patch({ 'x-csrf-token': csrf ?? '', origin: 'http://evil.example' })).status, 403);
    const formation = await as(alice.token)<Array<{ type: string; quantity: number }>>('GET', `/apps/${app}/formation`);
    assert.equal(formation.body.find((f) => f.type === 'web')?.quantity, 2);
    // With the session's token, from the dashboard's origin: the API takes it.
    const ok = await patch({ 'x-csrf-token': csrf ?? '', origin: p.controller.url }, 2);
    assert.equal(ok.status, 200);
    assert.equal((await ok.json() as { quantity: number }).quantity, 2);
    // Behind a proxy that rewrites Host, the public API URL (PAAS_API_URL) is the dashboard's origin.
    const proxied = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${p.controller.url}/dashboard/api/apps/${app}/formation/web`, {
        method: 'PATCH', headers: { host: 'backend.internal:7000', origin: p.config.apiUrl, cookie, 'x-csrf-token': csrf ?? '', 'content-type': 'application/json' },
      }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end(JSON.stringify({ quantity: 2 }));
    });
    assert.equal(proxied, 200);
    // Reads need no token; the API's own errors come through as they are.
    assert.equal((await fetch(`${p.controller.url}/dashboard/api/apps/${app}`, { headers: { cookie } })).status, 200);
    assert.equal((await fetch(`${p.controller.url}/dashboard/api/apps/nope-${app}`, { headers: { cookie } })).status, 404);
  });

  test('bob sees only the app he collaborates on: neither alice\'s app in his list nor its page', async () => {
    const shared = `${app}-shared`;
    assert.equal((await p.api('POST', '/apps', { name: shared })).status, 201);
    assert.equal((await p.api('POST', `/apps/${shared}/collaborators`, { user: bob.email })).status, 201);
    const b = await logIn(bob.token);
    try {
      await b.page.waitForSelector(`[data-testid=app-row][data-app="${shared}"]`);
      assert.deepEqual(await b.page.locator('[data-testid=app-row]').evaluateAll((els) => els.map((e) => e.getAttribute('data-app'))), [shared]);
      await b.page.goto(`${p.controller.url}/dashboard/apps/${app}`);
      await b.page.waitForSelector('[data-testid=app-error]');
      assert.match(await b.page.locator('[data-testid=app-error]').textContent() ?? '', /Couldn't find that app|not found/i);
      assert.equal(await b.page.locator('[data-testid=status]').count(), 0);
      // No status page for a non-admin: the API refuses.
      await b.page.goto(`${p.controller.url}/dashboard/status`);
      await b.page.waitForSelector('.error');
    } finally {
      await b.ctx.close();
    }
  });

  test('an admin sees the platform status page', async () => {
    const a = await logIn(p.adminToken);
    try {
      await a.page.click('[data-testid=nav-status]');
      await a.page.waitForSelector('[data-testid=service][data-service=redis]');
      for (const s of ['redis', 'registry', 'docker']) {
        assert.equal(await a.page.locator(`[data-testid=service][data-service=${s}]`).getAttribute('data-up'), 'true', s);
      }
      assert.match(await a.page.locator('[data-testid=queue]').textContent() ?? '', /\d+ waiting/);
      await a.page.screenshot({ path: path.join(IMAGES, 'dashboard-status.png') });
    } finally {
      await a.ctx.close();
    }
  });

  test('log out ends the session server-side: the old cookie gets the login page', async () => {
    const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    await page.click('[data-testid=logout]');
    await page.waitForSelector('input[name=token]');
    const res = await fetch(`${p.controller.url}/dashboard/apps/${app}`, { headers: { cookie } });
    assert.match(await res.text(), /name="token"/);
    assert.equal((await fetch(`${p.controller.url}/dashboard/api/apps`, { headers: { cookie } })).status, 401);
    await ctx.close();
    assert.deepEqual(pageErrors, [], 'no script error or CSP violation in any page');
  });
});
