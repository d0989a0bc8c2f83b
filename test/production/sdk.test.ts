/**
 * The generated SDK end to end: the app on a real port, driven only through openapi/client.ts
 * (openapi-fetch over the types generated from the committed document). The compiler checks every
 * call below against those types, and the first test keeps the types in step with the document.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createBucketlistClient, type Schemas } from '../../openapi/client.js';
import { build, newUser } from '../helper.js';
import { repoRoot } from './server-process.js';

t.test('openapi/schema.d.ts is what `npm run openapi:types` makes of openapi/openapi.json', async (t) => {
  const bin = (name: string) => join(repoRoot, 'node_modules/.bin', name);
  const generated = spawnSync(bin('openapi-typescript'), ['openapi/openapi.json', '--default-non-nullable', 'false'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(generated.status, 0, generated.stderr);
  const formatted = spawnSync(bin('prettier'), ['--stdin-filepath', 'openapi/schema.d.ts'], {
    cwd: repoRoot,
    input: generated.stdout,
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(formatted.status, 0, formatted.stderr);
  t.equal(formatted.stdout, readFileSync(join(repoRoot, 'openapi/schema.d.ts'), 'utf8'), 'run `npm run openapi:types`');
});

t.test('register, log in, create, list, update with If-Match and delete through the typed client', async (t) => {
  const app = await build(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  let accessToken: string | undefined;
  const api = createBucketlistClient(`http://127.0.0.1:${port}`, { accessToken: () => accessToken });
  const credentials = newUser();

  const registered = await api.POST('/v1/auth/register', { body: credentials });
  t.equal(registered.response.status, 201);
  const user: Schemas['User'] | undefined = registered.data;
  t.equal(user?.email, credentials.email);

  const login = await api.POST('/v1/auth/login', {
    body: { email: credentials.email, password: credentials.password },
  });
  t.equal(login.response.status, 200);
  t.equal(login.data?.token_type, 'Bearer');
  accessToken = login.data?.access_token;

  const me = await api.GET('/v1/users/me');
  t.same(me.data, user, 'the token is sent: GET /v1/users/me is the registered user');

  const created = await api.POST('/v1/bucketlists', { body: { name: 'Travel', description: 'Places to see' } });
  t.equal(created.response.status, 201);
  const bucketlist = created.data as Schemas['Bucketlist'];
  t.match(bucketlist, { name: 'Travel', description: 'Places to see', item_count: 0 });
  t.equal(created.response.headers.get('location'), `/v1/bucketlists/${bucketlist.id}`);

  // page and sort have defaults, but the document currently marks them required, so the types do too.
  const listed = await api.GET('/v1/bucketlists', {
    params: { query: { page: 1, page_size: 10, sort: '-id', q: 'trav' } },
  });
  t.equal(listed.response.status, 200);
  t.match(listed.data, { page: 1, page_size: 10, total: 1 });
  t.same(
    listed.data?.items.map((item) => item.id),
    [bucketlist.id],
  );

  const read = await api.GET('/v1/bucketlists/{id}', { params: { path: { id: bucketlist.id } } });
  const etag = read.response.headers.get('etag') ?? '';
  t.match(etag, /^"/, 'a strong ETag');

  const updated = await api.PATCH('/v1/bucketlists/{id}', {
    params: { path: { id: bucketlist.id }, header: { 'if-match': etag } },
    body: { name: 'Travel 2027' },
  });
  t.equal(updated.response.status, 200);
  t.equal(updated.data?.name, 'Travel 2027');
  t.equal(updated.data?.description, 'Places to see', 'PATCH keeps the other fields');

  const stale = await api.PATCH('/v1/bucketlists/{id}', {
    params: { path: { id: bucketlist.id }, header: { 'if-match': etag } },
    body: { name: 'Lost update' },
  });
  t.equal(stale.response.status, 412, 'the old ETag no longer matches');
  const problem: Schemas['Problem'] | undefined = stale.error;
  t.equal(problem?.code, 'precondition_failed', 'errors are typed as Problem');

  const deleted = await api.DELETE('/v1/bucketlists/{id}', { params: { path: { id: bucketlist.id } } });
  t.equal(deleted.response.status, 204);
  const gone = await api.GET('/v1/bucketlists/{id}', { params: { path: { id: bucketlist.id } } });
  t.equal(gone.response.status, 404);
  t.equal(gone.error?.code, 'not_found');
});
