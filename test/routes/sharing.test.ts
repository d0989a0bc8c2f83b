/**
 * Roles and sharing: every bucketlist, item and member route, called by each kind of caller
 * (the owner, an editor, a viewer, a stranger, an admin, and a deactivated member), on a fresh
 * shared bucketlist each time. Then the behaviours around it: scope, role and owner_id, ETags for
 * members, sharing's 404 and 409, leaving, and un-sharing taking effect at the next request.
 */
import t from 'tap';
import { build, createBucketlist, createItem, expectProblem, type Headers, requester, signUp } from '../helper.js';

const app = await build(t);
const send = requester(app);

const owner = await signUp(app);
const editor = await signUp(app);
const viewer = await signUp(app);
const stranger = await signUp(app);
const admin = await signUp(app);
await app.repositories.users.promote(admin.email);
const deactivated = await signUp(app);

/** The API version that shows the sharing fields (owner_id, role). */
const SHARING_VERSION = { 'api-version': '2026-12-03' };

type Actor = 'owner' | 'editor' | 'viewer' | 'stranger' | 'admin' | 'deactivated';
const actors: Record<Actor, { headers: Headers; id: number }> = { owner, editor, viewer, stranger, admin, deactivated };

/** Shares the bucketlist as the owner. */
async function share(bucketlistId: number, email: string, role: 'viewer' | 'editor') {
  const response = await send('POST', `/v1/bucketlists/${bucketlistId}/members`, owner.headers, { email, role });
  if (response.statusCode !== 201) throw new Error(`share failed: ${response.body}`);
}

/** A bucketlist of the owner's with one item, shared with the editor, the viewer and the deactivated user (as editor). */
async function sharedFixture() {
  const bucketlist = await createBucketlist(app, owner.headers, { name: 'Shared' });
  const item = await createItem(app, owner.headers, bucketlist.id, { name: 'Together' });
  await share(bucketlist.id, editor.email, 'editor');
  await share(bucketlist.id, viewer.email, 'viewer');
  await share(bucketlist.id, deactivated.email, 'editor');
  return { bucketlistId: bucketlist.id, itemId: item.id };
}

// Deactivated once: its sessions end now; the fixture keeps sharing with it.
{
  const response = await send('POST', `/v1/admin/users/${deactivated.id}/deactivate`, admin.headers);
  if (response.statusCode !== 200) throw new Error(`deactivate failed: ${response.body}`);
}

let newcomers = 0;
interface Route {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: (ids: { bucketlistId: number; itemId: number }) => string;
  body?: () => Promise<object> | object;
  expect: Record<Actor, number>;
}

const bl = ({ bucketlistId }: { bucketlistId: number }) => `/v1/bucketlists/${bucketlistId}`;
const it = (ids: { bucketlistId: number; itemId: number }) => `${bl(ids)}/items/${ids.itemId}`;
const READ = { owner: 200, editor: 200, viewer: 200, stranger: 404, admin: 404, deactivated: 401 };
const EDIT = { owner: 200, editor: 200, viewer: 403, stranger: 404, admin: 404, deactivated: 401 };
const OWNER_ONLY = { owner: 200, editor: 403, viewer: 403, stranger: 404, admin: 404, deactivated: 401 };

const routes: Route[] = [
  { name: 'read the bucketlist', method: 'GET', path: bl, expect: READ },
  { name: 'replace the bucketlist', method: 'PUT', path: bl, body: () => ({ name: 'Renamed' }), expect: EDIT },
  { name: 'update the bucketlist', method: 'PATCH', path: bl, body: () => ({ description: 'Now' }), expect: EDIT },
  { name: 'delete the bucketlist', method: 'DELETE', path: bl, expect: { ...OWNER_ONLY, owner: 204 } },
  {
    name: 'add an item',
    method: 'POST',
    path: (ids) => `${bl(ids)}/items`,
    body: () => ({ name: 'More' }),
    expect: { ...EDIT, owner: 201, editor: 201 },
  },
  { name: 'list the items', method: 'GET', path: (ids) => `${bl(ids)}/items`, expect: READ },
  { name: 'read an item', method: 'GET', path: it, expect: READ },
  { name: 'replace an item', method: 'PUT', path: it, body: () => ({ name: 'Again', done: true }), expect: EDIT },
  { name: 'update an item', method: 'PATCH', path: it, body: () => ({ done: true }), expect: EDIT },
  { name: 'delete an item', method: 'DELETE', path: it, expect: { ...EDIT, owner: 204, editor: 204 } },
  { name: 'list the members', method: 'GET', path: (ids) => `${bl(ids)}/members`, expect: READ },
  {
    name: 'share with another user',
    method: 'POST',
    path: (ids) => `${bl(ids)}/members`,
    body: async () => {
      newcomers += 1;
      const newcomer = await signUp(app, { email: `newcomer${newcomers}-${process.pid}@example.com` });
      return { email: newcomer.email, role: 'viewer' };
    },
    expect: { ...OWNER_ONLY, owner: 201 },
  },
  { name: 'read a member', method: 'GET', path: (ids) => `${bl(ids)}/members/${viewer.id}`, expect: READ },
  {
    name: "change the viewer's role",
    method: 'PATCH',
    path: (ids) => `${bl(ids)}/members/${viewer.id}`,
    body: () => ({ role: 'editor' }),
    expect: OWNER_ONLY,
  },
  {
    name: 'remove the viewer',
    method: 'DELETE',
    path: (ids) => `${bl(ids)}/members/${viewer.id}`,
    // The viewer may leave.
    expect: { ...OWNER_ONLY, owner: 204, viewer: 204 },
  },
  {
    name: 'list all users (admin)',
    method: 'GET',
    path: () => '/v1/admin/users',
    expect: { owner: 403, editor: 403, viewer: 403, stranger: 403, admin: 200, deactivated: 401 },
  },
];

const CODES: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' };

for (const route of routes) {
  for (const [actor, status] of Object.entries(route.expect) as [Actor, number][]) {
    t.test(`${route.name}: the ${actor} gets ${status}`, async (t) => {
      const ids = await sharedFixture();
      const before = (await send('GET', bl(ids), owner.headers)).json();
      const body = route.body ? await route.body() : undefined;
      const response = await send(route.method, route.path(ids), actors[actor].headers, body);
      if (status >= 400) {
        expectProblem(t, response, status, CODES[status] as string);
        if (route.path(ids).startsWith('/v1/bucketlists')) {
          t.strictSame((await send('GET', bl(ids), owner.headers)).json(), before, 'nothing changed');
        }
      } else {
        t.equal(response.statusCode, status, response.body);
      }
    });
  }
}

t.test("a member's bucketlist carries the owner's id and the member's role", async (t) => {
  const { bucketlistId } = await sharedFixture();
  for (const [who, role] of [
    [owner, 'owner'],
    [editor, 'editor'],
    [viewer, 'viewer'],
  ] as const) {
    const response = await send('GET', `/v1/bucketlists/${bucketlistId}`, { ...who.headers, ...SHARING_VERSION });
    t.match(response.json(), { id: bucketlistId, owner_id: owner.id, role, item_count: 1 });
  }
});

t.test('under the default API version, a member reads the shared bucketlist without owner_id and role', async (t) => {
  const { bucketlistId } = await sharedFixture();
  const response = await send('GET', `/v1/bucketlists/${bucketlistId}`, viewer.headers);
  t.equal(response.statusCode, 200);
  t.equal(response.headers['api-version'], '2026-11-21');
  const listed = await send('GET', '/v1/bucketlists?scope=shared', viewer.headers);
  const items = (listed.json() as { items: Record<string, unknown>[] }).items;
  t.ok(
    items.some((item) => item.id === bucketlistId),
    'scope=shared works in every version',
  );
  for (const body of [response.json() as Record<string, unknown>, ...items]) {
    t.notOk('role' in body || 'owner_id' in body, 'none of the sharing fields');
  }
});

t.test('scope=owned (the default), shared and all list the right bucketlists', async (t) => {
  const member = await signUp(app);
  const mine = await createBucketlist(app, member.headers, { name: 'Mine' });
  const theirs = await createBucketlist(app, owner.headers, { name: 'Theirs' });
  await share(theirs.id, member.email, 'viewer');
  const ids = async (query: string) => {
    const response = await send('GET', `/v1/bucketlists${query}`, { ...member.headers, ...SHARING_VERSION });
    t.equal(response.statusCode, 200);
    return (response.json() as { items: { id: number; role: string }[]; total: number }).items.map(
      (row) => `${row.id}:${row.role}`,
    );
  };
  t.strictSame(await ids(''), [`${mine.id}:owner`]);
  t.strictSame(await ids('?scope=owned'), [`${mine.id}:owner`]);
  t.strictSame(await ids('?scope=shared'), [`${theirs.id}:viewer`]);
  t.strictSame(await ids('?scope=all'), [`${theirs.id}:viewer`, `${mine.id}:owner`]);
  t.strictSame(await ids('?scope=all&q=their'), [`${theirs.id}:viewer`]);
  const paged = await send('GET', '/v1/bucketlists?scope=all&page_size=1', member.headers);
  t.match(paged.headers.link, /scope=all/, 'the Link keeps the scope');
  t.equal((paged.json() as { total: number }).total, 2);
  const past = await send('GET', '/v1/bucketlists?scope=shared&page=5', member.headers);
  t.equal((past.json() as { total: number }).total, 1, 'the total past the end');
  expectProblem(t, await send('GET', '/v1/bucketlists?scope=everything', member.headers), 400, 'validation_error');
});

t.test('two editors cannot overwrite each other unseen (If-Match)', async (t) => {
  const { bucketlistId } = await sharedFixture();
  const url = `/v1/bucketlists/${bucketlistId}`;
  const seenByEditor = (await send('GET', url, editor.headers)).headers.etag as string;
  const seenByOwner = (await send('GET', url, owner.headers)).headers.etag as string;
  t.equal(seenByEditor, seenByOwner, 'one tag for one state of the bucketlist');
  const first = await send('PATCH', url, { ...owner.headers, 'if-match': seenByOwner }, { name: 'Owner' });
  t.equal(first.statusCode, 200);
  const second = await send('PATCH', url, { ...editor.headers, 'if-match': seenByEditor }, { name: 'Editor' });
  expectProblem(t, second, 412, 'precondition_failed');
  const viewerStale = await send('PATCH', url, { ...viewer.headers, 'if-match': seenByEditor }, { name: 'Viewer' });
  expectProblem(t, viewerStale, 403, 'forbidden');
});

t.test("a change of role changes the member's ETag", async (t) => {
  const { bucketlistId } = await sharedFixture();
  const url = `/v1/bucketlists/${bucketlistId}`;
  const before = await send('GET', url, viewer.headers);
  await send('PATCH', `${url}/members/${viewer.id}`, owner.headers, { role: 'editor' });
  const after = await send('GET', url, {
    ...viewer.headers,
    ...SHARING_VERSION,
    'if-none-match': before.headers.etag as string,
  });
  t.equal(after.statusCode, 200, 'not a 304: the representation changed');
  t.equal(after.json().role, 'editor');
});

t.test('the members list, and sharing by email', async (t) => {
  const { bucketlistId } = await sharedFixture();
  const url = `/v1/bucketlists/${bucketlistId}/members`;
  const listed = await send('GET', url, viewer.headers);
  t.equal(listed.statusCode, 200);
  t.match(listed.json(), {
    total: 3,
    items: [
      { user_id: editor.id, email: editor.email, name: editor.name, role: 'editor' },
      { user_id: viewer.id, role: 'viewer' },
      { user_id: deactivated.id, role: 'editor' },
    ],
  });
  const page = await send('GET', `${url}?page_size=1&page=2`, owner.headers);
  t.match(page.headers.link, /rel="next"/);
  t.match(page.headers.link, /rel="prev"/);
  const past = await send('GET', `${url}?page=9`, owner.headers);
  t.match(past.json(), { items: [], total: 3 });

  expectProblem(
    t,
    await send('POST', url, owner.headers, { email: 'nobody@example.com', role: 'viewer' }),
    404,
    'not_found',
  );
  expectProblem(t, await send('POST', url, owner.headers, { email: owner.email, role: 'viewer' }), 409, 'conflict');
  expectProblem(
    t,
    await send('POST', url, owner.headers, { email: viewer.email.toUpperCase(), role: 'editor' }),
    409,
    'conflict',
  );
  expectProblem(
    t,
    await send('POST', url, owner.headers, { email: stranger.email, role: 'admin' }),
    400,
    'validation_error',
  );
  const created = await send('POST', url, owner.headers, { email: stranger.email, role: 'viewer' });
  t.equal(created.statusCode, 201);
  t.equal(created.headers.location, `${url}/${stranger.id}`);
  t.match(created.json(), { user_id: stranger.id, email: stranger.email, role: 'viewer' });
  expectProblem(t, await send('GET', `${url}/${owner.id}`, owner.headers), 404, 'not_found');
  expectProblem(t, await send('PATCH', `${url}/${admin.id}`, owner.headers, { role: 'viewer' }), 404, 'not_found');
  expectProblem(t, await send('DELETE', `${url}/${admin.id}`, owner.headers), 404, 'not_found');
});

t.test('un-sharing takes effect at the next request', async (t) => {
  const { bucketlistId, itemId } = await sharedFixture();
  const url = `/v1/bucketlists/${bucketlistId}`;
  t.equal((await send('GET', `${url}/items/${itemId}`, editor.headers)).statusCode, 200);
  t.equal((await send('DELETE', `${url}/members/${editor.id}`, owner.headers)).statusCode, 204);
  expectProblem(t, await send('GET', url, editor.headers), 404, 'not_found');
  expectProblem(t, await send('GET', `${url}/items/${itemId}`, editor.headers), 404, 'not_found');
  expectProblem(t, await send('PATCH', `${url}/items/${itemId}`, editor.headers, { done: true }), 404, 'not_found');
  const shared = await send('GET', '/v1/bucketlists?scope=shared', editor.headers);
  t.notOk((shared.json() as { items: { id: number }[] }).items.some((row) => row.id === bucketlistId));
});

t.test("an editor's item belongs to the bucketlist's owner and counts in its item_count", async (t) => {
  const { bucketlistId } = await sharedFixture();
  const added = await send('POST', `/v1/bucketlists/${bucketlistId}/items`, editor.headers, { name: 'By editor' });
  t.equal(added.statusCode, 201);
  t.equal((await send('GET', `/v1/bucketlists/${bucketlistId}`, owner.headers)).json().item_count, 2);
  const page = await send('GET', `/v1/bucketlists/${bucketlistId}/items?q=editor`, viewer.headers);
  t.match(page.json(), { total: 1, items: [{ name: 'By editor' }] });
});

t.test("a revoked session gets 401 on the member routes, not a member route's 404 or 403", async (t) => {
  const { bucketlistId } = await sharedFixture();
  const member = await signUp(app);
  await share(bucketlistId, member.email, 'viewer');
  await send('POST', '/v1/auth/logout', member.headers);
  const url = `/v1/bucketlists/${bucketlistId}/members`;
  expectProblem(t, await send('GET', url, member.headers), 401, 'unauthorized');
  expectProblem(t, await send('GET', `${url}/${member.id}`, member.headers), 401, 'unauthorized');
  expectProblem(
    t,
    await send('POST', url, member.headers, { email: stranger.email, role: 'viewer' }),
    401,
    'unauthorized',
  );
  expectProblem(t, await send('PATCH', `${url}/${viewer.id}`, member.headers, { role: 'viewer' }), 401, 'unauthorized');
  expectProblem(t, await send('DELETE', `${url}/${member.id}`, member.headers), 401, 'unauthorized');
  expectProblem(
    t,
    await send('POST', `/v1/bucketlists/${bucketlistId}/items`, member.headers, { name: 'x' }),
    401,
    'unauthorized',
  );
});
