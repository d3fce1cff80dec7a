// The dashboard's server side against a real controller (SQLite, Redis, the API's express app;
// dynos in the memory scheduler): cookies over HTTPS, the login's checks, sessions that end with
// their token or their time, the API's event stream through the session, no internal routes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { appendAppLog } from '../../common/app-log.ts';
import { suitePlatform } from '../http/api.test-support.ts';

const PUBLIC = 'https://paas.example.com';

describe('dashboard server', () => {
  const p = suitePlatform({ config: { apiUrl: PUBLIC, dashboardSessionTtl: 2 }, app: 'board' });

  /** Logs in through the form as a browser at PUBLIC would; the answer and the session cookie. */
  async function logIn(token: string, origin = PUBLIC): Promise<{ status: number; setCookie: string[]; session: string | null; text: string }> {
    const form = await p.api().get('/dashboard/');
    const login = (form.headers['set-cookie'] as unknown as string[])[0];
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
    const res = await p.api().post('/dashboard/login').set('cookie', login.split(';')[0]).set('origin', origin)
      .type('form').send({ csrf, token });
    const setCookie = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
    const session = setCookie.map((c) => /^paas_session=([^;]+)/.exec(c)?.[1]).find(Boolean) ?? null;
    return { status: res.status, setCookie, session, text: res.text };
  }

  const newToken = async (body: Record<string, unknown> = {}): Promise<{ id: string; token: string }> => {
    const res = await p.api().post('/oauth/authorizations').set('authorization', p.auth).send(body).expect(201);
    return { id: res.body.id as string, token: res.body.access_token.token as string };
  };

  test('over a public HTTPS URL the cookies are Secure, HttpOnly, SameSite=Strict and scoped to /dashboard', async () => {
    const { status, setCookie, session } = await logIn(p.auth.slice('Bearer '.length));
    assert.equal(status, 303);
    assert.ok(session);
    const cookie = setCookie.find((c) => c.startsWith('paas_session='));
    assert.match(cookie ?? '', /; Path=\/dashboard; Max-Age=2; HttpOnly; SameSite=Strict; Secure$/);
    const page = await p.api().get('/dashboard/apps/board').set('cookie', `paas_session=${session}`);
    assert.equal(page.headers['content-security-policy']?.includes("script-src 'self'"), true);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['cache-control'], 'no-store');
  });

  test('the login refuses another origin, a deploy token and a wrong token', async () => {
    const admin = p.auth.slice('Bearer '.length);
    const foreign = await logIn(admin, 'https://evil.example');
    assert.equal(foreign.status, 403);
    assert.equal(foreign.session, null);
    const deploy = await newToken({ scope: ['deploy'], app: 'board' });
    const refused = await logIn(deploy.token);
    assert.equal(refused.status, 401);
    assert.match(refused.text, /deploy token cannot log in/);
    assert.equal((await logIn('paas_wrong')).status, 401);
  });

  test('a session ends when its token is revoked, and by itself after its time', async () => {
    const t = await newToken();
    const first = await logIn(t.token);
    assert.ok(first.session);
    await p.api().get('/dashboard/api/account').set('cookie', `paas_session=${first.session}`).expect(200);
    await p.api().delete(`/oauth/authorizations/${t.id}`).set('authorization', p.auth).expect(200);
    await p.api().get('/dashboard/api/account').set('cookie', `paas_session=${first.session}`).expect(401);
    const page = await p.api().get('/dashboard/').set('cookie', `paas_session=${first.session}`).expect(200);
    assert.match(page.text, /name="token"/);

    const second = await logIn(p.auth.slice('Bearer '.length));
    await p.api().get('/dashboard/api/account').set('cookie', `paas_session=${second.session}`).expect(200);
    await new Promise((r) => setTimeout(r, 2100));
    await p.api().get('/dashboard/api/account').set('cookie', `paas_session=${second.session}`).expect(401);
  });

  test('through the session: the log as server-sent events, no internal routes, the API\'s own errors', async () => {
    const { session } = await logIn(p.auth.slice('Bearer '.length));
    const cookie = `paas_session=${session}`;
    const redis = new Redis(p.config.redisUrl);
    try {
      await appendAppLog(redis, p.config.redisPrefix, 'board', { source: 'app', dyno: 'api', line: 'first\nsecond' });
    } finally {
      redis.disconnect();
    }
    const events = await p.api().get('/dashboard/api/apps/board/log-stream?lines=10').set('cookie', cookie).set('accept', 'text/event-stream').expect(200);
    assert.match(events.headers['content-type'], /^text\/event-stream/);
    assert.match(events.text, /^data: .*app\[api\]: first\ndata: second\n\n/m);
    const text = await p.api().get('/dashboard/api/apps/board/log-stream?lines=10').set('cookie', cookie).expect(200);
    assert.match(text.headers['content-type'], /^text\/plain/);

    await p.api().post('/dashboard/api/internal/push/board').set('cookie', cookie).set('x-csrf-token', 'x').expect(403);
    const shell = await p.api().get('/dashboard/').set('cookie', cookie);
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(shell.text)?.[1];
    assert.ok(csrf, 'the shell page carries the CSRF token (the bundle is built: node bin/build-dashboard.ts)');
    await p.api().post('/dashboard/api/internal/push/board').set('cookie', cookie).set('x-csrf-token', csrf).set('origin', PUBLIC).expect(404);
    const missing = await p.api().get('/dashboard/api/apps/nope').set('cookie', cookie).expect(404);
    assert.equal(missing.body.id, 'not_found');
  });
});
