/**
 * API versions: the Api-Version request header picks the representation. Without it, the
 * original version answers exactly the contract's fields; 2026-12-03 adds the sharing fields; any
 * other value is a 400. Every response names its version and varies by it, and each version's
 * representation has its own strong ETag.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { OpenApiDocument } from '../conformance.js';
import { build, createBucketlist, createItem, expectProblem, type Headers, requester, signUp } from '../helper.js';

const app = await build(t);
const send = requester(app);
const owner = await signUp(app);

const ORIGINAL = '2026-11-21';
const SHARING = '2026-12-03';
const USER_FIELDS = ['created_at', 'email', 'id', 'name'];
const BUCKETLIST_FIELDS = ['created_at', 'description', 'id', 'item_count', 'name', 'updated_at'];
const SHARING_BUCKETLIST_FIELDS = [...BUCKETLIST_FIELDS, 'owner_id', 'role'].sort();

const as = (version: string | undefined, headers: Headers = owner.headers): Headers =>
  version === undefined ? headers : { ...headers, 'api-version': version };
const keys = (body: unknown) => Object.keys(body as object).sort();

t.test('without Api-Version, the User and the Bucketlist have exactly the original fields', async (t) => {
  const me = await send('GET', '/v1/users/me', owner.headers);
  t.equal(me.statusCode, 200);
  t.equal(me.headers['api-version'], ORIGINAL, 'the response names the default version');
  t.strictSame(keys(me.json()), USER_FIELDS);
  const created = await send('POST', '/v1/bucketlists', owner.headers, { name: 'Original' });
  t.equal(created.statusCode, 201);
  t.strictSame(keys(created.json()), BUCKETLIST_FIELDS);
  const url = `/v1/bucketlists/${created.json().id}`;
  t.strictSame(keys((await send('GET', url, owner.headers)).json()), BUCKETLIST_FIELDS);
  t.strictSame(keys((await send('PUT', url, owner.headers, { name: 'Put' })).json()), BUCKETLIST_FIELDS);
  t.strictSame(keys((await send('PATCH', url, owner.headers, { name: 'Patched' })).json()), BUCKETLIST_FIELDS);
  const page = (await send('GET', '/v1/bucketlists?scope=all', owner.headers)).json() as { items: unknown[] };
  t.ok(page.items.length > 0);
  for (const item of page.items) t.strictSame(keys(item), BUCKETLIST_FIELDS);
});

t.test('Api-Version: 2026-11-21, sent explicitly, answers the same as no header', async (t) => {
  const response = await send('GET', '/v1/users/me', as(ORIGINAL));
  t.equal(response.headers['api-version'], ORIGINAL);
  t.strictSame(keys(response.json()), USER_FIELDS);
});

t.test('Api-Version: 2026-12-03 adds User.role and Bucketlist.owner_id and role', async (t) => {
  const me = await send('GET', '/v1/users/me', as(SHARING));
  t.equal(me.statusCode, 200);
  t.equal(me.headers['api-version'], SHARING);
  t.strictSame(keys(me.json()), [...USER_FIELDS, 'role'].sort());
  t.equal(me.json().role, 'user');
  const created = await send('POST', '/v1/bucketlists', as(SHARING), { name: 'Shared era' });
  t.equal(created.statusCode, 201);
  t.strictSame(keys(created.json()), SHARING_BUCKETLIST_FIELDS);
  t.match(created.json(), { owner_id: owner.id, role: 'owner' });
  const url = `/v1/bucketlists/${created.json().id}`;
  for (const response of [
    await send('GET', url, as(SHARING)),
    await send('PUT', url, as(SHARING), { name: 'Put' }),
    await send('PATCH', url, as(SHARING), { description: 'Patched' }),
  ]) {
    t.equal(response.statusCode, 200);
    t.strictSame(keys(response.json()), SHARING_BUCKETLIST_FIELDS);
    t.match(response.json(), { owner_id: owner.id, role: 'owner' });
  }
  const page = (await send('GET', '/v1/bucketlists', as(SHARING))).json() as { items: unknown[] };
  for (const item of page.items) t.strictSame(keys(item), SHARING_BUCKETLIST_FIELDS);
});

t.test('an unknown Api-Version is a 400 validation_error that lists the supported versions', async (t) => {
  for (const value of ['2026-12-04', '2025-01-01', 'latest', '', ' 2026-12-03x']) {
    const response = await send('GET', '/v1/users/me', as(value));
    const problem = expectProblem(t, response, 400, 'validation_error');
    t.match(problem.detail, /2026-11-21/, `${JSON.stringify(value)}: the detail names the default`);
    t.match(problem.detail, /2026-12-03/, `${JSON.stringify(value)}: and the newer version`);
    t.strictSame(
      problem.errors?.map((error) => error.path),
      ['/api-version'],
    );
    t.equal(response.headers['api-version'], ORIGINAL, 'the problem is written in the default version');
  }
});

t.test('the version is checked before authentication, and after the auth routes\u2019 rate limiter', async (t) => {
  expectProblem(t, await send('GET', '/v1/users/me', { 'api-version': 'nope' }), 400, 'validation_error');
  const login = await send('POST', '/v1/auth/login', { 'api-version': 'nope' }, { email: owner.email, password: 'x' });
  expectProblem(t, login, 400, 'validation_error');
  t.ok(login.headers['ratelimit-limit'] ?? login.headers.ratelimit, 'a limited route still says its limit');
});

t.test('every /v1 response names its version and varies by it: success, 304, 401, 404, 406', async (t) => {
  const bucketlist = await createBucketlist(app, owner.headers);
  const item = await createItem(app, owner.headers, bucketlist.id);
  const itemUrl = `/v1/bucketlists/${bucketlist.id}/items/${item.id}`;
  const tag = (await send('GET', itemUrl, owner.headers)).headers.etag as string;
  for (const version of [undefined, ORIGINAL, SHARING]) {
    const responses = [
      await send('GET', itemUrl, as(version)),
      await send('GET', itemUrl, as(version, { ...owner.headers, 'if-none-match': tag })),
      await send('GET', `/v1/bucketlists/${bucketlist.id}/members`, as(version)),
      await send('GET', '/v1/users/me', as(version, {})),
      await send('GET', '/v1/bucketlists/2147483647', as(version)),
      await send('GET', '/v1/users/me', as(version, { ...owner.headers, accept: 'text/html' })),
    ];
    t.strictSame(
      responses.map((response) => response.statusCode),
      [200, 304, 200, 401, 404, 406],
    );
    for (const response of responses) {
      t.equal(response.headers['api-version'], version ?? ORIGINAL);
      t.match(response.headers.vary, /\bApi-Version\b/);
    }
  }
});

t.test('an item, the same in every version, keeps one ETag', async (t) => {
  const bucketlist = await createBucketlist(app, owner.headers);
  const item = await createItem(app, owner.headers, bucketlist.id);
  const url = `/v1/bucketlists/${bucketlist.id}/items/${item.id}`;
  const original = await send('GET', url, owner.headers);
  const sharing = await send('GET', url, as(SHARING));
  t.equal(sharing.headers.etag, original.headers.etag);
  t.strictSame(sharing.json(), original.json());
});

for (const [what, url] of [
  ['a bucketlist', async () => `/v1/bucketlists/${(await createBucketlist(app, owner.headers)).id}`],
  ['the signed-in user', async () => '/v1/users/me'],
] as const) {
  t.test(`${what} has a different strong ETag in each version; If-None-Match takes its own`, async (t) => {
    const target = await url();
    const original = await send('GET', target, owner.headers);
    const sharing = await send('GET', target, as(SHARING));
    const originalTag = original.headers.etag as string;
    const sharingTag = sharing.headers.etag as string;
    t.match(originalTag, /^"\d+-\d+"$/, 'the original tags are unchanged');
    t.match(sharingTag, /^"[^"]+"$/, 'strong');
    t.not(sharingTag, originalTag, 'two representations, two tags (RFC 9110 \u00a78.8.3)');
    const notModified = (version: string | undefined, tag: string) =>
      send('GET', target, as(version, { ...owner.headers, 'if-none-match': tag }));
    t.equal((await notModified(undefined, originalTag)).statusCode, 304);
    t.equal((await notModified(SHARING, sharingTag)).statusCode, 304);
    const other = await notModified(SHARING, originalTag);
    t.equal(other.statusCode, 200, "the other version's tag is not this representation's");
    t.equal(other.headers.etag, sharingTag);
    t.equal((await notModified(undefined, sharingTag)).statusCode, 200);
  });
}

t.test("If-Match takes the tag of the request's version, and only that one", async (t) => {
  const bucketlist = await createBucketlist(app, owner.headers);
  const url = `/v1/bucketlists/${bucketlist.id}`;
  const tagOf = async (version?: string) => (await send('GET', url, as(version))).headers.etag as string;

  const sharingTag = await tagOf(SHARING);
  const stale = await send('PATCH', url, as(undefined, { ...owner.headers, 'if-match': sharingTag }), { name: 'X' });
  expectProblem(t, stale, 412, 'precondition_failed');
  const staleNew = await send('PATCH', url, as(SHARING, { ...owner.headers, 'if-match': await tagOf() }), {
    name: 'X',
  });
  expectProblem(t, staleNew, 412, 'precondition_failed');
  t.equal((await send('GET', url, owner.headers)).json().name, 'Travel', 'neither changed it');

  const withSharing = await send('PATCH', url, as(SHARING, { ...owner.headers, 'if-match': sharingTag }), {
    name: 'New client',
  });
  t.equal(withSharing.statusCode, 200);
  t.equal(withSharing.headers.etag, await tagOf(SHARING), "the answer's tag is the version's current one");
  const withOriginal = await send('PUT', url, { ...owner.headers, 'if-match': await tagOf() }, { name: 'Old client' });
  t.equal(withOriginal.statusCode, 200);
  t.equal(withOriginal.headers.etag, await tagOf());
  const removed = await send('DELETE', url, as(SHARING, { ...owner.headers, 'if-match': await tagOf(SHARING) }));
  t.equal(removed.statusCode, 204);
});

t.test('CORS: a browser may send Api-Version and read it, and Vary keeps Origin', async (t) => {
  const cors = await build(t, { env: { CORS_ORIGINS: 'https://app.example.com' } });
  const origin = 'https://app.example.com';
  const preflight = await cors.inject({
    method: 'OPTIONS',
    url: '/v1/users/me',
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'api-version' },
  });
  t.match(preflight.headers['access-control-allow-headers'], /Api-Version/);
  const response = await cors.inject({
    method: 'GET',
    url: '/v1/users/me',
    headers: { origin, 'api-version': SHARING },
  });
  t.equal(response.statusCode, 401);
  t.match(response.headers['access-control-expose-headers'], /Api-Version/);
  t.match(response.headers.vary, /\bOrigin\b/);
  t.match(response.headers.vary, /\bApi-Version\b/);
});

t.test('the OpenAPI document declares Api-Version once and on every /v1 operation', async (t) => {
  const document = JSON.parse(
    readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'),
  ) as OpenApiDocument;
  t.match(document.components?.parameters?.ApiVersion, {
    name: 'Api-Version',
    in: 'header',
    required: false,
    schema: { type: 'string', enum: [ORIGINAL, SHARING], default: ORIGINAL },
  });
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const refs = (operation.parameters ?? []).filter((parameter) => '$ref' in parameter);
      t.strictSame(
        refs,
        path.startsWith('/v1/') ? [{ $ref: '#/components/parameters/ApiVersion' }] : [],
        `${method} ${path}`,
      );
    }
  }
});
