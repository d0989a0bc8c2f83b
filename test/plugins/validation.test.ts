import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import type { ProblemBody } from '../../src/schemas/common.js';
import { build, createBucketlist, expectProblem, newUser, signUp } from '../helper.js';

/** Asserts a 400 validation_error and returns its errors[] (one per failed field). */
function expectInvalid(t: Test, response: LightMyRequestResponse) {
  const body = expectProblem(t, response, 400, 'validation_error');
  t.ok(Array.isArray(body.errors) && body.errors.length > 0, 'errors[] lists the failed fields');
  return body.errors ?? [];
}

/** Asserts a 401 unauthorized with the Bearer challenge. */
function expectUnauthorized(t: Test, response: LightMyRequestResponse) {
  expectProblem(t, response, 401, 'unauthorized');
  t.match(response.headers['www-authenticate'], /^Bearer\b/);
}

const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '1000' } });
const owner = await signUp(app);
const bucketlist = await createBucketlist(app, owner.headers);

/** A JSON request with a raw (possibly malformed) body. */
const rawJson = (url: string, payload: string, headers: Record<string, string> = {}): InjectOptions => ({
  method: 'POST',
  url,
  headers: { 'content-type': 'application/json', ...headers },
  payload,
});

t.test('a missing required field is a 400 whose error points at the field', async (t) => {
  const { email, password } = newUser();
  const response = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password } });
  const errors = expectInvalid(t, response);
  t.same(errors, [{ path: '/name', message: "must have required property 'name'" }]);
  t.equal(response.json<ProblemBody>().detail, "body/name must have required property 'name'");
});

t.test('an unknown field is a 400 whose error points at the field (no mass assignment)', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/bucketlists',
    headers: owner.headers,
    payload: { name: 'Mine', user_id: 1 },
  });
  t.same(expectInvalid(t, response), [{ path: '/user_id', message: 'is not a known field' }]);
});

t.test('an unknown field is rejected at registration too', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { ...newUser(), id: 1 },
  });
  t.same(expectInvalid(t, response), [{ path: '/id', message: 'is not a known field' }]);
});

t.test('every failed field gets its own entry in errors[]', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { email: 'not an email', password: 'short', name: '' },
  });
  const paths = expectInvalid(t, response).map((issue) => issue.path);
  t.ok(paths.includes('/email'), 'email');
  t.ok(paths.includes('/password'), 'password');
  t.ok(paths.includes('/name'), 'name');
});

t.test('a field name with / or ~ is escaped in the JSON Pointer', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/bucketlists',
    headers: owner.headers,
    payload: { name: 'Mine', 'a/b~c': true },
  });
  t.same(expectInvalid(t, response), [{ path: '/a~1b~0c', message: 'is not a known field' }]);
});

t.test('a body field of the wrong type is not coerced: "done": "true" is a 400', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: `/v1/bucketlists/${bucketlist.id}/items`,
    headers: owner.headers,
    payload: { name: 'Swim', done: 'true' },
  });
  t.same(
    expectInvalid(t, response).map((issue) => issue.path),
    ['/done'],
  );
});

t.test('a number where a string is expected is not coerced either', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { ...newUser(), name: 12345 },
  });
  t.same(
    expectInvalid(t, response).map((issue) => issue.path),
    ['/name'],
  );
});

t.test('query strings are coerced: page=2 arrives as the number 2', async (t) => {
  const response = await app.inject({
    method: 'GET',
    url: '/v1/bucketlists?page=2&page_size=5',
    headers: owner.headers,
  });
  t.equal(response.statusCode, 200);
  const page = response.json<{ page: number; page_size: number; items: unknown[] }>();
  t.equal(page.page, 2);
  t.equal(page.page_size, 5);
  t.same(page.items, []);
});

t.test('a query value that is not a number is a 400 that points at the parameter', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/bucketlists?page=abc', headers: owner.headers });
  const errors = expectInvalid(t, response);
  t.same(
    errors.map((issue) => issue.path),
    ['/page'],
  );
  t.match(response.json<ProblemBody>().detail, /^querystring\/page /);
});

t.test('malformed JSON is a 400 validation_error', async (t) => {
  const response = await app.inject(rawJson('/v1/auth/login', '{"email": "a@example.com", '));
  expectProblem(t, response, 400, 'validation_error');
});

t.test('an empty JSON body is a 400', async (t) => {
  expectProblem(t, await app.inject(rawJson('/v1/auth/login', '')), 400, 'validation_error');
});

t.test('a request without any body where one is required is a 400', async (t) => {
  expectProblem(t, await app.inject({ method: 'POST', url: '/v1/auth/login' }), 400, 'validation_error');
});

t.test('a JSON array body is a 400', async (t) => {
  const response = await app.inject(rawJson('/v1/auth/login', '[{"email":"a@example.com","password":"x"}]'));
  t.same(expectInvalid(t, response), [{ path: '', message: 'must be object' }]);
});

t.test('a JSON string body is a 400', async (t) => {
  expectInvalid(t, await app.inject(rawJson('/v1/auth/login', '"a@example.com"')));
});

t.test('a JSON null body is a 400', async (t) => {
  expectInvalid(t, await app.inject(rawJson('/v1/auth/login', 'null')));
});

t.test('a __proto__ key is a 400 (prototype poisoning)', async (t) => {
  const response = await app.inject(
    rawJson('/v1/bucketlists', '{"name":"Mine","__proto__":{"isAdmin":true}}', owner.headers),
  );
  expectProblem(t, response, 400, 'validation_error');
});

t.test('a constructor key is a 400', async (t) => {
  const response = await app.inject(
    rawJson('/v1/bucketlists', '{"name":"Mine","constructor":{"prototype":{"isAdmin":true}}}', owner.headers),
  );
  expectProblem(t, response, 400, 'validation_error');
});

t.test('an empty name is a 400 with one error for the field', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { ...newUser(), name: '' } });
  t.same(expectInvalid(t, response), [{ path: '/name', message: 'must NOT have fewer than 1 characters' }]);
  t.equal(response.json<ProblemBody>().detail, 'body/name must NOT have fewer than 1 characters');
});

t.test('a name of only whitespace is a 400', async (t) => {
  for (const name of [' ', '   ', '\t\n', '\u00a0\u2003']) {
    const response = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { ...newUser(), name } });
    t.same(expectInvalid(t, response), [{ path: '/name', message: 'must not be blank' }], JSON.stringify(name));
  }
});

t.test('a bucketlist name of only whitespace is a 400', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/bucketlists',
    headers: owner.headers,
    payload: { name: '    ' },
  });
  t.same(
    expectInvalid(t, response).map((issue) => issue.path),
    ['/name'],
  );
});

t.test('a user name over 100 characters is a 400', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { ...newUser(), name: 'n'.repeat(101) },
  });
  t.same(expectInvalid(t, response), [{ path: '/name', message: 'must NOT have more than 100 characters' }]);
});

t.test('a bucketlist name over 255 characters is a 400', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/bucketlists',
    headers: owner.headers,
    payload: { name: 'n'.repeat(256) },
  });
  t.same(
    expectInvalid(t, response).map((issue) => issue.path),
    ['/name'],
  );
});

t.test('path ids that are not positive 32-bit integers are a 400', async (t) => {
  for (const id of ['abc', '0', '-1', '2147483648', '1.5']) {
    const response = await app.inject({ method: 'GET', url: `/v1/bucketlists/${id}`, headers: owner.headers });
    expectProblem(t, response, 400, 'validation_error');
  }
});

t.test('the largest 32-bit id is valid (and simply not found)', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/bucketlists/2147483647', headers: owner.headers });
  expectProblem(t, response, 404, 'not_found');
});

t.test('without a token, malformed JSON gets 401, not 400', async (t) => {
  expectUnauthorized(t, await app.inject(rawJson('/v1/bucketlists', '{"name": ')));
});

t.test('without a token, an unknown field gets 401, not 400', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/v1/bucketlists', payload: { name: 'x', owner_id: 1 } });
  expectUnauthorized(t, response);
});

t.test('without a token, an invalid path id gets 401, not 400', async (t) => {
  expectUnauthorized(t, await app.inject({ method: 'GET', url: '/v1/bucketlists/abc' }));
});

t.test('without a token, an invalid query gets 401, not 400', async (t) => {
  expectUnauthorized(t, await app.inject({ method: 'GET', url: '/v1/bucketlists?page_size=1000' }));
});

t.test('without a token, a text/plain body gets 401, not 415', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/bucketlists',
    headers: { 'content-type': 'text/plain' },
    payload: 'hello',
  });
  expectUnauthorized(t, response);
});

t.test('without a token, a body over 1 MiB gets 401, not 413', async (t) => {
  const response = await app.inject(rawJson('/v1/bucketlists', JSON.stringify({ name: 'x'.repeat(1024 * 1024) })));
  expectUnauthorized(t, response);
});

t.test('logout without a token but with malformed JSON gets 401', async (t) => {
  expectUnauthorized(t, await app.inject(rawJson('/v1/auth/logout', '{oops')));
});
