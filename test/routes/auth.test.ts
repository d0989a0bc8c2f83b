import { availableParallelism } from 'node:os';
import { Writable } from 'node:stream';
import { createDecoder, createSigner } from 'fast-jwt';
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { type App, buildApp } from '../../src/app.js';
import { type DatabaseHandle, openDatabase } from '../../src/db/client.js';
import type { TokensBody, UserBody } from '../../src/schemas/auth.js';
import type { ProblemBody } from '../../src/schemas/common.js';
import {
  build,
  createBucketlist,
  createItem,
  expectProblem,
  newUser,
  signUp,
  TEST_PRESSURE,
  TEST_SECRET,
  testConfig,
} from '../helper.js';
import { checkPassword, hashPassword, passwordHashing } from '../../src/routes/v1/auth/credentials.js';
import { openTestDatabase } from '../setup/databases.js';

/** Asserts a 401 unauthorized problem with the Bearer challenge (RFC 6750 §3). */
function expectUnauthorized(t: Test, response: LightMyRequestResponse): ProblemBody {
  const body = expectProblem(t, response, 401, 'unauthorized');
  t.match(response.headers['www-authenticate'], /^Bearer( |$)/, 'WWW-Authenticate: Bearer');
  return body;
}

const ISO_MILLIS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const decodeToken = createDecoder({ complete: true }) as (token: string) => {
  header: { alg: string; typ?: string };
  payload: { sub: string; sid: string; iat: number; exp: number };
};
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

// A second database, for the apps of the last tests, which need their own configuration or logger.
// Opened first, before any app is ready: opening it keeps the event loop busy for a while.
const shared = await openTestDatabase();
t.teardown(() => shared.close());
// The app most tests share; a high limit so that the many logins of this file are never throttled.
const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '1000' } });

const register = (target: App, payload: Record<string, unknown>) =>
  target.inject({ method: 'POST', url: '/v1/auth/register', payload });
const login = (target: App, email: string, password: string) =>
  target.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
const refresh = (target: App, refreshToken: string) =>
  target.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: refreshToken } });
const logout = (target: App, accessToken: string) =>
  target.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(accessToken) });
const me = (target: App, headers: Record<string, string>) =>
  target.inject({ method: 'GET', url: '/v1/users/me', headers });

/** The claims of a freshly signed-up user's access token, to forge variations of it. */
async function signedUpClaims() {
  const user = await signUp(app);
  const { payload } = decodeToken(user.tokens.access_token);
  return { user, claims: { sub: payload.sub, sid: payload.sid } };
}

t.test(
  'password hashing runs at most one argon2 computation per core at a time, and every one completes',
  async (t) => {
    t.equal(passwordHashing.concurrency, availableParallelism());
    let busiest = 0;
    let queued = 0;
    const watch = setInterval(() => {
      busiest = Math.max(busiest, passwordHashing.activeCount);
      queued = Math.max(queued, passwordHashing.pendingCount);
    }, 1);
    const passwords = Array.from({ length: availableParallelism() + 3 }, (_, index) => `password number ${index}`);
    const hashes = await Promise.all(passwords.map((password) => hashPassword(password)));
    const checks = await Promise.all(passwords.map((password, index) => checkPassword(password, hashes[index])));
    clearInterval(watch);
    t.ok(busiest <= availableParallelism(), `at most ${availableParallelism()} at once (saw ${busiest})`);
    t.ok(queued > 0, 'the others waited their turn');
    t.strictSame(
      checks,
      passwords.map(() => true),
      'each password verifies against its own hash',
    );
    t.equal(await checkPassword('password number 0', hashes[1]), false, 'and not against another');
  },
);

t.test('register answers 201 with exactly the User fields', async (t) => {
  const user = newUser();
  const response = await register(app, user);
  t.equal(response.statusCode, 201);
  t.match(response.headers['content-type'], /^application\/json/);
  const body = response.json<UserBody>();
  t.same(Object.keys(body).sort(), ['created_at', 'email', 'id', 'name']);
  t.ok(Number.isInteger(body.id) && body.id > 0, 'a positive integer id');
  t.equal(body.email, user.email);
  t.equal(body.name, user.name);
  t.match(body.created_at, ISO_MILLIS_UTC);
  t.ok(Math.abs(Date.parse(body.created_at) - Date.now()) < 60_000, 'created just now');
});

t.test('register under API version 2026-12-03 answers the User with its role, always user', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    headers: { 'api-version': '2026-12-03' },
    payload: newUser(),
  });
  t.equal(response.statusCode, 201);
  t.equal(response.headers['api-version'], '2026-12-03');
  const body = response.json<UserBody>();
  t.same(Object.keys(body).sort(), ['created_at', 'email', 'id', 'name', 'role']);
  t.equal(body.role, 'user', 'a new account is a user, never an admin');
});

t.test('register stores the email lower-cased and the name trimmed', async (t) => {
  const email = `Ada.Lovelace+${process.pid}@Example.COM`;
  const response = await register(app, { email, password: 'analytical engine', name: '  Ada Lovelace \t' });
  t.equal(response.statusCode, 201);
  t.equal(response.json<UserBody>().email, email.toLowerCase());
  t.equal(response.json<UserBody>().name, 'Ada Lovelace');
  const tokens = await login(app, email.toLowerCase(), 'analytical engine');
  t.equal(tokens.statusCode, 200, 'the lower-cased email logs in');
});

t.test('register keeps any Unicode name unchanged', async (t) => {
  const name = 'Zoë 山田 🌸 مرحبا e\u0301';
  const response = await register(app, newUser({ name }));
  t.equal(response.statusCode, 201);
  t.equal(response.json<UserBody>().name, name);
});

t.test('register with an email taken in another letter case is a 409 conflict', async (t) => {
  const user = newUser();
  t.equal((await register(app, user)).statusCode, 201);
  const response = await register(app, { ...newUser(), email: user.email.toUpperCase() });
  expectProblem(t, response, 409, 'conflict');
});

t.test('register with a password under 8 characters is a 400', async (t) => {
  const response = await register(app, newUser({ password: '1234567' }));
  const body = expectProblem(t, response, 400, 'validation_error');
  t.same(body.errors, [{ path: '/password', message: 'must NOT have fewer than 8 characters' }]);
});

t.test('register accepts passwords of exactly 8 and exactly 128 characters', async (t) => {
  t.equal((await register(app, newUser({ password: '12345678' }))).statusCode, 201);
  t.equal((await register(app, newUser({ password: 'p'.repeat(128) }))).statusCode, 201);
});

t.test('register with a password over 128 characters is a 400', async (t) => {
  const response = await register(app, newUser({ password: 'p'.repeat(129) }));
  const body = expectProblem(t, response, 400, 'validation_error');
  t.same(body.errors, [{ path: '/password', message: 'must NOT have more than 128 characters' }]);
});

t.test('register with an invalid email is a 400', async (t) => {
  for (const email of ['no-at-sign', 'a@', '@example.com', 'a b@example.com', '']) {
    const response = await register(app, newUser({ email }));
    const body = expectProblem(t, response, 400, 'validation_error');
    t.same(
      body.errors?.map((issue) => issue.path),
      ['/email'],
      JSON.stringify(email),
    );
  }
});

/** An email address of the given length (at least 200), unique within the run. */
const emailOfLength = (length: number) => {
  const local = `long${process.pid}x${Math.random().toString(36).slice(2, 8)}`.slice(0, 64);
  const domain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(length - local.length - 1 - 128 - 4)}.com`;
  return `${local}@${domain}`;
};

t.test('register accepts an email of exactly 254 characters', async (t) => {
  const email = emailOfLength(254);
  t.equal(email.length, 254);
  const response = await register(app, newUser({ email }));
  t.equal(response.statusCode, 201);
  t.equal(response.json<UserBody>().email, email);
});

t.test('register with an email over 254 characters is a 400', async (t) => {
  const email = emailOfLength(255);
  t.equal(email.length, 255);
  expectProblem(t, await register(app, newUser({ email })), 400, 'validation_error');
});

t.test('register never returns the password or its hash', async (t) => {
  const user = newUser();
  const response = await register(app, user);
  t.notMatch(response.body, user.password);
  t.notMatch(response.body, /argon2|password/i);
});

t.test('login answers 200 with exactly the Tokens fields, Bearer and 900 seconds', async (t) => {
  const user = newUser();
  await register(app, user);
  const response = await login(app, user.email, user.password);
  t.equal(response.statusCode, 200);
  const body = response.json<TokensBody>();
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type']);
  t.equal(body.token_type, 'Bearer');
  t.equal(body.expires_in, 900);
  t.type(body.access_token, 'string');
  t.type(body.refresh_token, 'string');
  t.not(body.access_token, body.refresh_token);
});

t.test('login and refresh responses may not be cached (Cache-Control: no-store)', async (t) => {
  const user = newUser();
  await register(app, user);
  const loggedIn = await login(app, user.email, user.password);
  t.equal(loggedIn.headers['cache-control'], 'no-store');
  const refreshed = await refresh(app, loggedIn.json<TokensBody>().refresh_token);
  t.equal(refreshed.statusCode, 200);
  t.equal(refreshed.headers['cache-control'], 'no-store');
});

t.test('the access token is an HS256 JWT for the user that expires in expires_in seconds', async (t) => {
  const user = await signUp(app);
  const { header, payload } = decodeToken(user.tokens.access_token);
  t.equal(header.alg, 'HS256');
  t.equal(payload.sub, String(user.id));
  t.match(payload.sid, /^[0-9a-f-]{36}$/);
  t.equal(payload.exp - payload.iat, 900);
});

t.test('login compares the email case-insensitively', async (t) => {
  const user = newUser();
  await register(app, user);
  t.equal((await login(app, user.email.toUpperCase(), user.password)).statusCode, 200);
});

t.test('a wrong password and an unknown email get the identical 401', async (t) => {
  const user = newUser();
  await register(app, user);
  const wrongPassword = await login(app, user.email, 'not the password');
  const unknownEmail = await login(app, `nobody-${process.pid}@example.com`, user.password);
  const first = expectUnauthorized(t, wrongPassword);
  const second = expectUnauthorized(t, unknownEmail);
  t.same({ ...first, instance: undefined }, { ...second, instance: undefined }, 'same body apart from instance');
  t.equal(wrongPassword.headers['www-authenticate'], unknownEmail.headers['www-authenticate']);
});

t.test('the password is case-sensitive', async (t) => {
  const user = newUser({ password: 'CaseSensitive123' });
  await register(app, user);
  expectUnauthorized(t, await login(app, user.email, 'casesensitive123'));
});

t.test('the access token opens GET /v1/users/me', async (t) => {
  const user = await signUp(app);
  const response = await me(app, user.headers);
  t.equal(response.statusCode, 200);
  t.equal(response.json<UserBody>().id, user.id);
});

t.test('the Bearer scheme is accepted in any letter case', async (t) => {
  const user = await signUp(app);
  for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
    const response = await me(app, { authorization: `${scheme} ${user.tokens.access_token}` });
    t.equal(response.statusCode, 200, scheme);
  }
});

t.test('a request without a token is a 401 with WWW-Authenticate: Bearer', async (t) => {
  expectUnauthorized(t, await me(app, {}));
});

t.test('the challenge without a token names no error (RFC 6750 §3.1)', async (t) => {
  const response = await me(app, {});
  t.equal(response.headers['www-authenticate'], 'Bearer realm="bucketlist-api"');
});

t.test('the challenge for an expired or revoked token says error="invalid_token"', async (t) => {
  const { user, claims } = await signedUpClaims();
  const sign = createSigner({ key: TEST_SECRET, expiresIn: 60_000, clockTimestamp: Date.now() - 3_600_000 });
  const expired = await me(app, bearer(sign(claims)));
  t.equal(expired.headers['www-authenticate'], 'Bearer realm="bucketlist-api", error="invalid_token"');
  await logout(app, user.tokens.access_token);
  const revoked = await me(app, user.headers);
  t.equal(revoked.headers['www-authenticate'], 'Bearer realm="bucketlist-api", error="invalid_token"');
});

t.test('a malformed Authorization header is a 401', async (t) => {
  const user = await signUp(app);
  const token = user.tokens.access_token;
  for (const authorization of ['Bearer', 'Bearer ', token, `Basic ${token}`, 'Bearer not-a-jwt', `Bearer ${token}x`]) {
    expectUnauthorized(t, await me(app, { authorization }));
  }
});

t.test('an expired token is a 401', async (t) => {
  const { claims } = await signedUpClaims();
  const sign = createSigner({ key: TEST_SECRET, expiresIn: 60_000, clockTimestamp: Date.now() - 3_600_000 });
  expectUnauthorized(t, await me(app, bearer(sign(claims))));
});

t.test('a token signed with another secret is a 401', async (t) => {
  const { claims } = await signedUpClaims();
  const sign = createSigner({ key: 'another-secret-that-is-long-enough-to-be-used', expiresIn: 60_000 });
  expectUnauthorized(t, await me(app, bearer(sign(claims))));
});

t.test('an unsigned alg: none token is a 401', async (t) => {
  const { claims } = await signedUpClaims();
  const now = Math.floor(Date.now() / 1000);
  const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...claims, iat: now, exp: now + 600 })}.`;
  expectUnauthorized(t, await me(app, bearer(token)));
});

t.test('an HS512 token signed with the right secret is a 401 (only HS256 is accepted)', async (t) => {
  const { claims } = await signedUpClaims();
  const sign = createSigner({ key: TEST_SECRET, algorithm: 'HS512', expiresIn: 60_000 });
  expectUnauthorized(t, await me(app, bearer(sign(claims))));
});

t.test('a correctly signed token without an expiry is a 401', async (t) => {
  const { claims } = await signedUpClaims();
  expectUnauthorized(t, await me(app, bearer(createSigner({ key: TEST_SECRET })(claims))));
});

t.test('a correctly signed token for a session that does not exist is a 401', async (t) => {
  const { claims } = await signedUpClaims();
  const token = app.jwt.sign({ sub: claims.sub, sid: '00000000-0000-4000-8000-000000000000' });
  expectUnauthorized(t, await me(app, bearer(token)));
});

t.test("a correctly signed token naming another user's session is a 401", async (t) => {
  const first = await signedUpClaims();
  const second = await signedUpClaims();
  const token = app.jwt.sign({ sub: second.claims.sub, sid: first.claims.sid });
  expectUnauthorized(t, await me(app, bearer(token)));
});

t.test('refresh answers 200 with new Tokens that work', async (t) => {
  const user = await signUp(app);
  const response = await refresh(app, user.tokens.refresh_token);
  t.equal(response.statusCode, 200);
  const body = response.json<TokensBody>();
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type']);
  t.equal(body.token_type, 'Bearer');
  t.equal(body.expires_in, 900);
  t.not(body.refresh_token, user.tokens.refresh_token);
  t.equal((await me(app, bearer(body.access_token))).statusCode, 200, 'the new access token works');
  t.equal((await refresh(app, body.refresh_token)).statusCode, 200, 'the new refresh token works');
});

t.test('refresh keeps the session: the new access token names the same session', async (t) => {
  const user = await signUp(app);
  const body = (await refresh(app, user.tokens.refresh_token)).json<TokensBody>();
  t.equal(decodeToken(body.access_token).payload.sid, decodeToken(user.tokens.access_token).payload.sid);
});

t.test('after a refresh, the old refresh token gets 401', async (t) => {
  const user = await signUp(app);
  t.equal((await refresh(app, user.tokens.refresh_token)).statusCode, 200);
  expectUnauthorized(t, await refresh(app, user.tokens.refresh_token));
});

t.test('reusing a rotated refresh token revokes the whole session', async (t) => {
  const user = await signUp(app);
  const rotated = (await refresh(app, user.tokens.refresh_token)).json<TokensBody>();
  expectUnauthorized(t, await refresh(app, user.tokens.refresh_token));
  expectUnauthorized(t, await refresh(app, rotated.refresh_token));
  expectUnauthorized(t, await me(app, bearer(rotated.access_token)));
  expectUnauthorized(t, await me(app, user.headers));
});

t.test('reusing a refresh token leaves the same user’s other sessions valid', async (t) => {
  const user = await signUp(app);
  const other = (await login(app, user.email, user.password)).json<TokensBody>();
  await refresh(app, user.tokens.refresh_token);
  await refresh(app, user.tokens.refresh_token);
  t.equal((await me(app, bearer(other.access_token))).statusCode, 200);
  t.equal((await refresh(app, other.refresh_token)).statusCode, 200);
});

t.test('a refresh token that was never issued is a 401', async (t) => {
  const user = await signUp(app);
  const sessionId = decodeToken(user.tokens.access_token).payload.sid;
  const forged = `${sessionId}.${Buffer.alloc(32, 7).toString('base64url')}`;
  for (const token of [forged, 'not-a-refresh-token', user.tokens.access_token.slice(0, 200)]) {
    expectUnauthorized(t, await refresh(app, token));
  }
  t.equal((await refresh(app, user.tokens.refresh_token)).statusCode, 200, 'the real one still works');
});

t.test('a refresh token whose session part is not a UUID is a 401, not a 500', async (t) => {
  const secret = Buffer.alloc(32, 1).toString('base64url');
  for (const session of ['-'.repeat(36), '0'.repeat(36), 'ABCDEF00-0000-4000-8000-000000000000']) {
    expectUnauthorized(t, await refresh(app, `${session}.${secret}`));
  }
});

t.test('a correctly signed token naming a user id beyond 32 bits is a 401, not a 500', async (t) => {
  const { claims } = await signedUpClaims();
  const token = app.jwt.sign({ sub: '9999999999', sid: claims.sid });
  expectUnauthorized(t, await me(app, bearer(token)));
});

t.test('an access token is not accepted as a refresh token', async (t) => {
  const user = await signUp(app);
  const response = await refresh(app, user.tokens.access_token);
  t.ok([400, 401].includes(response.statusCode), `refused with ${response.statusCode}`);
  t.match(response.headers['content-type'], /^application\/problem\+json/);
});

t.test('logout answers 204 with no body', async (t) => {
  const user = await signUp(app);
  const response = await logout(app, user.tokens.access_token);
  t.equal(response.statusCode, 204);
  t.equal(response.body, '');
});

t.test("after logout, the session's access and refresh tokens get 401", async (t) => {
  const user = await signUp(app);
  await logout(app, user.tokens.access_token);
  expectUnauthorized(t, await me(app, user.headers));
  expectUnauthorized(t, await refresh(app, user.tokens.refresh_token));
  expectUnauthorized(t, await logout(app, user.tokens.access_token));
});

t.test('after logout, every read and write of the revoked session gets 401, whether or not data exists', async (t) => {
  // The reads check the session inside their own statement; a miss must still turn into a 401.
  const user = await signUp(app);
  const list = await createBucketlist(app, user.headers);
  const item = await createItem(app, user.headers, list.id);
  const emptyList = await createBucketlist(app, user.headers);
  const empty = await signUp(app);
  t.equal((await logout(app, user.tokens.access_token)).statusCode, 204);
  t.equal((await logout(app, empty.tokens.access_token)).statusCode, 204);
  const reads = [
    '/v1/users/me',
    '/v1/bucketlists',
    `/v1/bucketlists/${list.id}`,
    `/v1/bucketlists/${list.id}/items`,
    // An item list's statement finds no row for a revoked session; nor for these, with any session.
    `/v1/bucketlists/${list.id}/items?q=nothing-matches-this`,
    `/v1/bucketlists/${list.id}/items?page=5`,
    `/v1/bucketlists/${emptyList.id}/items`,
    `/v1/bucketlists/${list.id}/items/${item.id}`,
    '/v1/bucketlists/999999',
  ];
  for (const url of reads) {
    expectUnauthorized(t, await app.inject({ method: 'GET', url, headers: user.headers }));
  }
  expectUnauthorized(t, await app.inject({ method: 'GET', url: '/v1/bucketlists', headers: empty.headers }));
});

t.test('after logout, no write of the revoked session gets through, and each answers 401', async (t) => {
  // The writes check the session inside their own statement: nothing may be written, and the empty
  // outcome (no row, a foreign key or NOT NULL refusal, a stale If-Match) must still turn into a 401.
  const user = await signUp(app);
  const list = await createBucketlist(app, user.headers);
  const item = await createItem(app, user.headers, list.id);
  const other = await signUp(app);
  const othersList = await createBucketlist(app, other.headers);
  const listUrl = `/v1/bucketlists/${list.id}`;
  const itemUrl = `${listUrl}/items/${item.id}`;
  const etagOf = async (url: string) =>
    String((await app.inject({ method: 'GET', url, headers: user.headers })).headers.etag);
  const current = { bucketlist: await etagOf(listUrl), item: await etagOf(itemUrl), stale: '"1-999"' };
  t.equal((await logout(app, user.tokens.access_token)).statusCode, 204);
  const writes: { method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; payload?: object; ifMatch?: string }[] = [
    { method: 'POST', url: '/v1/bucketlists', payload: { name: 'after logout' } },
    { method: 'PUT', url: listUrl, payload: { name: 'after logout' } },
    { method: 'PATCH', url: listUrl, payload: { name: 'after logout' }, ifMatch: current.bucketlist },
    { method: 'PATCH', url: listUrl, payload: { name: 'after logout' }, ifMatch: current.stale },
    { method: 'PATCH', url: '/v1/bucketlists/999999', payload: { name: 'after logout' } },
    { method: 'POST', url: `${listUrl}/items`, payload: { name: 'after logout' } },
    { method: 'POST', url: `/v1/bucketlists/${othersList.id}/items`, payload: { name: 'after logout' } },
    { method: 'PUT', url: itemUrl, payload: { name: 'after logout', done: true } },
    { method: 'PATCH', url: itemUrl, payload: { done: true }, ifMatch: current.item },
    { method: 'PATCH', url: itemUrl, payload: { done: true }, ifMatch: current.stale },
    { method: 'DELETE', url: itemUrl, ifMatch: current.item },
    { method: 'DELETE', url: itemUrl },
    { method: 'DELETE', url: listUrl, ifMatch: current.stale },
    { method: 'DELETE', url: listUrl },
  ];
  for (const write of writes) {
    const headers = { ...user.headers, ...(write.ifMatch ? { 'if-match': write.ifMatch } : {}) };
    const response = await app.inject({ method: write.method, url: write.url, headers, payload: write.payload });
    t.equal(response.statusCode, 401, `${write.method} ${write.url} ${write.ifMatch ?? ''}`);
    expectUnauthorized(t, response);
  }
  // Still there as they were, seen through a live session of the same user.
  const again = (await login(app, user.email, user.password)).json<TokensBody>();
  const live = bearer(again.access_token);
  const stored = await app.inject({ method: 'GET', url: listUrl, headers: live });
  t.equal(stored.statusCode, 200);
  t.match(stored.json(), { name: list.name, item_count: 1 }, 'the bucketlist is unchanged, with its one item');
  t.match((await app.inject({ method: 'GET', url: itemUrl, headers: live })).json(), { name: item.name, done: false });
  const lists = (await app.inject({ method: 'GET', url: '/v1/bucketlists', headers: live })).json<{ total: number }>();
  t.equal(lists.total, 1, 'no bucketlist was created');
  t.match(
    (await app.inject({ method: 'GET', url: `/v1/bucketlists/${othersList.id}`, headers: other.headers })).json(),
    { item_count: 0 },
    "nothing was added to another user's bucketlist",
  );
});

t.test("logout leaves the user's other sessions valid", async (t) => {
  const user = await signUp(app);
  const second = (await login(app, user.email, user.password)).json<TokensBody>();
  t.equal((await logout(app, user.tokens.access_token)).statusCode, 204);
  t.equal((await me(app, bearer(second.access_token))).statusCode, 200);
  const refreshed = await refresh(app, second.refresh_token);
  t.equal(refreshed.statusCode, 200);
  t.equal((await me(app, bearer(refreshed.json<TokensBody>().access_token))).statusCode, 200);
});

t.test('logout without a token is a 401', async (t) => {
  expectUnauthorized(t, await app.inject({ method: 'POST', url: '/v1/auth/logout' }));
});

/** A second handle on the same database when it is a server; PGlite allows one handle per folder. */
async function secondHandleOnShared(t: Test): Promise<DatabaseHandle> {
  if (!shared.url) return shared;
  const handle = await openDatabase({ kind: 'postgres', url: shared.url, poolSize: 2 }, { migrate: false });
  t.teardown(() => handle.close());
  return handle;
}

async function buildOnShared(t: Test, env: Record<string, string>, options: Parameters<typeof buildApp>[1] = {}) {
  const instance = await buildApp(testConfig(env), {
    database: shared,
    logger: false,
    pressure: TEST_PRESSURE,
    ...options,
  });
  t.teardown(() => instance.close());
  await instance.ready();
  return instance;
}

t.test('logout on one instance is refused by another instance at its very next request', async (t) => {
  const env = { AUTH_RATE_LIMIT_MAX: '1000' };
  const first = await buildOnShared(t, env);
  const second = await buildOnShared(t, env, { database: await secondHandleOnShared(t) });
  const user = await signUp(first);
  t.equal((await me(second, user.headers)).statusCode, 200, 'the token works on the other instance');
  t.equal((await logout(first, user.tokens.access_token)).statusCode, 204);
  expectUnauthorized(t, await me(second, user.headers));
  expectUnauthorized(t, await refresh(second, user.tokens.refresh_token));
});

t.test('the 4th login within the window is a 429 rate_limited with Retry-After', async (t) => {
  const limited = await buildOnShared(t, { AUTH_RATE_LIMIT_MAX: '3' });
  const remoteAddress = '198.51.100.7';
  const attempt = () =>
    limited.inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress,
      payload: { email: 'limit@example.com', password: 'whatever-password' },
    });
  const remaining: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    const response = await attempt();
    expectUnauthorized(t, response);
    t.equal(response.headers['ratelimit-limit'], '3');
    remaining.push(response.headers['ratelimit-remaining']);
    t.match(response.headers['ratelimit-reset'], /^\d+$/);
  }
  t.same(remaining, ['2', '1', '0']);

  const refused = await attempt();
  expectProblem(t, refused, 429, 'rate_limited');
  t.match(refused.headers['retry-after'], /^\d+$/);
  t.ok(Number(refused.headers['retry-after']) <= 60, 'retry within the window');
  t.equal(refused.headers['ratelimit-limit'], '3');
  t.equal(refused.headers['ratelimit-remaining'], '0');
});

t.test('a 406 on a rate-limited route carries the RateLimit headers and counts against the limit', async (t) => {
  const limited = await buildOnShared(t, { AUTH_RATE_LIMIT_MAX: '2' });
  const remoteAddress = '198.51.100.11';
  const attempt = (accept: string) =>
    limited.inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress,
      headers: { accept },
      payload: { email: 'limit@example.com', password: 'whatever-password' },
    });
  const refused = await attempt('text/html');
  expectProblem(t, refused, 406, 'not_acceptable');
  t.equal(refused.headers['ratelimit-limit'], '2');
  t.equal(refused.headers['ratelimit-remaining'], '1');
  t.match(refused.headers['ratelimit-reset'], /^\d+$/);
  expectUnauthorized(t, await attempt('application/json'));
  expectProblem(t, await attempt('text/html'), 429, 'rate_limited');
});

t.test('the rate limit counts each client address separately and ignores X-Forwarded-For', async (t) => {
  const limited = await buildOnShared(t, { AUTH_RATE_LIMIT_MAX: '1' });
  const attempt = (remoteAddress: string, headers: Record<string, string> = {}) =>
    limited.inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress,
      headers,
      payload: { email: 'limit@example.com', password: 'whatever-password' },
    });
  t.equal((await attempt('198.51.100.8')).statusCode, 401);
  expectProblem(t, await attempt('198.51.100.8', { 'x-forwarded-for': '203.0.113.50' }), 429, 'rate_limited');
  t.equal((await attempt('198.51.100.9')).statusCode, 401, 'another address is not limited');
});

t.test('behind a configured trusted proxy, the rate limit counts the forwarded client address', async (t) => {
  const proxy = '198.51.100.20';
  const limited = await buildOnShared(t, { AUTH_RATE_LIMIT_MAX: '1', TRUST_PROXY: proxy });
  const attempt = (client: string) =>
    limited.inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress: proxy,
      headers: { 'x-forwarded-for': client },
      payload: { email: 'limit@example.com', password: 'whatever-password' },
    });
  t.equal((await attempt('203.0.113.1')).statusCode, 401);
  t.equal((await attempt('203.0.113.2')).statusCode, 401, 'another client behind the same proxy');
  expectProblem(t, await attempt('203.0.113.1'), 429, 'rate_limited');
});

t.test('register and refresh are rate-limited too', async (t) => {
  const limited = await buildOnShared(t, { AUTH_RATE_LIMIT_MAX: '1' });
  const remoteAddress = '198.51.100.10';
  const registerOnce = () => limited.inject({ method: 'POST', url: '/v1/auth/register', remoteAddress, payload: {} });
  t.equal((await registerOnce()).headers['ratelimit-limit'], '1');
  expectProblem(t, await registerOnce(), 429, 'rate_limited');
  const refreshOnce = () =>
    limited.inject({ method: 'POST', url: '/v1/auth/refresh', remoteAddress, payload: { refresh_token: 'x' } });
  t.equal((await refreshOnce()).headers['ratelimit-limit'], '1');
  expectProblem(t, await refreshOnce(), 429, 'rate_limited');
});

t.test('passwords and tokens never appear in the logs', async (t) => {
  let logged = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logged += chunk.toString('utf8');
      callback();
    },
  });
  const logging = await buildOnShared(t, { AUTH_RATE_LIMIT_MAX: '1000' }, { logger: { level: 'trace', stream } });

  const user = newUser({ password: 'a-very-distinctive-password-42' });
  t.equal((await register(logging, user)).statusCode, 201);
  t.equal((await login(logging, user.email, 'wrong-but-also-distinctive-43')).statusCode, 401);
  t.equal((await register(logging, { ...user, password: 'short-44' })).statusCode, 409);
  const tokens = (await login(logging, user.email, user.password)).json<TokensBody>();
  const rotated = (await refresh(logging, tokens.refresh_token)).json<TokensBody>();
  t.equal((await refresh(logging, tokens.refresh_token)).statusCode, 401, 'a reused refresh token');
  const second = (await login(logging, user.email, user.password)).json<TokensBody>();
  const authorization = `Bearer ${second.access_token}`;
  t.equal((await me(logging, { authorization })).statusCode, 200);
  t.equal((await logout(logging, second.access_token)).statusCode, 204);
  t.equal((await me(logging, { authorization })).statusCode, 401);

  t.ok(logged.length > 0, 'the app did log');
  t.match(logged, /request completed/, 'request logs were captured');
  const secrets = {
    password: user.password,
    wrongPassword: 'wrong-but-also-distinctive-43',
    otherPassword: 'short-44',
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    rotatedAccessToken: rotated.access_token,
    rotatedRefreshToken: rotated.refresh_token,
    secondAccessToken: second.access_token,
    secondRefreshToken: second.refresh_token,
    jwtSignature: second.access_token.split('.')[2] ?? '',
    authorization,
  };
  for (const [name, secret] of Object.entries(secrets)) {
    t.notOk(logged.includes(secret), `${name} is not logged`);
  }
});
