import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import type { UserBody } from '../../src/schemas/auth.js';
import type { ProblemBody } from '../../src/schemas/common.js';
import { build, signUp } from '../helper.js';

const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '1000' } });

const me = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/v1/users/me', headers });

/** Asserts a 401 unauthorized problem with the Bearer challenge. */
function expectUnauthorized(t: Test, response: LightMyRequestResponse) {
  t.equal(response.statusCode, 401);
  t.match(response.headers['content-type'], /^application\/problem\+json/);
  t.equal(response.json<ProblemBody>().code, 'unauthorized');
  t.match(response.headers['www-authenticate'], /^Bearer( |$)/);
}

t.test('GET /v1/users/me answers 200 with exactly the User the caller registered as', async (t) => {
  const user = await signUp(app, { name: '  Grace Hopper  ' });
  const response = await me(user.headers);
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^application\/json/);
  const body = response.json<UserBody>();
  t.same(Object.keys(body).sort(), ['created_at', 'email', 'id', 'name']);
  t.equal(body.id, user.id);
  t.equal(body.email, user.email);
  t.equal(body.name, 'Grace Hopper');
  t.match(body.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
});

t.test('GET /v1/users/me answers each user with their own account', async (t) => {
  const first = await signUp(app);
  const second = await signUp(app);
  t.equal((await me(first.headers)).json<UserBody>().id, first.id);
  t.equal((await me(second.headers)).json<UserBody>().id, second.id);
  t.not(first.id, second.id);
});

t.test('GET /v1/users/me without a token is a 401', async (t) => {
  expectUnauthorized(t, await me({}));
});

t.test('GET /v1/users/me sends a strong ETag', async (t) => {
  const user = await signUp(app);
  const response = await me(user.headers);
  t.match(response.headers.etag, /^"[^"]+"$/, 'quoted and not weak (no W/ prefix)');
  t.equal((await me(user.headers)).headers.etag, response.headers.etag, 'stable while nothing changes');
});

t.test("two users' ETags differ", async (t) => {
  const first = await signUp(app);
  const second = await signUp(app);
  t.not((await me(first.headers)).headers.etag, (await me(second.headers)).headers.etag);
});

t.test('If-None-Match with the current ETag is a 304 with an empty body', async (t) => {
  const user = await signUp(app);
  const etag = String((await me(user.headers)).headers.etag);
  const response = await me({ ...user.headers, 'if-none-match': etag });
  t.equal(response.statusCode, 304);
  t.equal(response.body, '');
  t.equal(response.headers.etag, etag);
});

t.test('If-None-Match with the current ETag in a list is a 304', async (t) => {
  const user = await signUp(app);
  const etag = String((await me(user.headers)).headers.etag);
  const response = await me({ ...user.headers, 'if-none-match': `"stale-1", ${etag}` });
  t.equal(response.statusCode, 304);
  t.equal(response.body, '');
});

t.test('If-None-Match compares weakly: W/ and the current tag is a 304', async (t) => {
  const user = await signUp(app);
  const etag = String((await me(user.headers)).headers.etag);
  t.equal((await me({ ...user.headers, 'if-none-match': `W/${etag}` })).statusCode, 304);
});

t.test('If-None-Match with a stale ETag is a 200 with the body', async (t) => {
  const user = await signUp(app);
  const response = await me({ ...user.headers, 'if-none-match': '"0-0"' });
  t.equal(response.statusCode, 200);
  t.equal(response.json<UserBody>().id, user.id);
});

t.test("If-None-Match with another user's ETag is a 200", async (t) => {
  const first = await signUp(app);
  const second = await signUp(app);
  const othersTag = String((await me(second.headers)).headers.etag);
  t.equal((await me({ ...first.headers, 'if-none-match': othersTag })).statusCode, 200);
});

t.test('If-None-Match without a token is still a 401', async (t) => {
  const user = await signUp(app);
  const etag = String((await me(user.headers)).headers.etag);
  expectUnauthorized(t, await me({ 'if-none-match': etag }));
});

t.test('HEAD /v1/users/me answers 200 with the ETag and no body', async (t) => {
  const user = await signUp(app);
  const response = await app.inject({ method: 'HEAD', url: '/v1/users/me', headers: user.headers });
  t.equal(response.statusCode, 200);
  t.equal(response.body, '');
  t.equal(response.headers.etag, (await me(user.headers)).headers.etag);
});
