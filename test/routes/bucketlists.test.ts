/**
 * Bucketlists: the six routes of the contract's Bucketlists section, on a real database. Every
 * test signs up users of its own, so the tests share one app but never one another's rows.
 */
import t from 'tap';
import type { BucketlistBody } from '../../src/schemas/bucketlists.js';
import type { ProblemBody } from '../../src/schemas/common.js';
import type { ItemBody } from '../../src/schemas/items.js';
import {
  build,
  createBucketlist,
  createItem,
  expectProblem,
  type Headers,
  type Method,
  MISSING_ID,
  requester,
  RFC3339_MS,
  signUp,
} from '../helper.js';

const BUCKETLIST_FIELDS = ['created_at', 'description', 'id', 'item_count', 'name', 'updated_at'];

const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '10000' } });

const send = requester(app);

async function readBucketlist(headers: Headers, id: number) {
  const response = await send('GET', `/v1/bucketlists/${id}`, headers);
  return { status: response.statusCode, body: response.json<BucketlistBody>(), etag: response.headers.etag };
}

/** Asserts an RFC 9457 problem with the given status and code; returns its body. */

/** A user with one bucketlist holding one item, for the cross-user checks. */
async function ownerWithData() {
  const owner = await signUp(app);
  const bucketlist = await createBucketlist(app, owner.headers, { name: 'Mine', description: 'Private' });
  const item = await createItem(app, owner.headers, bucketlist.id, { name: 'Secret item' });
  const before = await readBucketlist(owner.headers, bucketlist.id);
  return { owner, bucketlistId: bucketlist.id, itemId: item.id, before };
}

t.test('creating a bucketlist answers 201 with the bucketlist, its Location and its ETag', async (t) => {
  const user = await signUp(app);
  const response = await send('POST', '/v1/bucketlists', user.headers, { name: 'Travel', description: 'Places' });
  t.equal(response.statusCode, 201);
  t.match(response.headers['content-type'], /^application\/json/);
  const body = response.json<BucketlistBody>();
  t.strictSame(Object.keys(body).sort(), BUCKETLIST_FIELDS);
  t.equal(response.headers.location, `/v1/bucketlists/${body.id}`);
  t.match(response.headers.etag, /^"[^"]+"$/);
  t.match(body, { name: 'Travel', description: 'Places', item_count: 0 });
  t.ok(Number.isInteger(body.id) && body.id > 0, 'a positive integer id');
  t.match(body.created_at, RFC3339_MS);
  t.equal(body.updated_at, body.created_at);
});

t.test('the Location of a new bucketlist answers the same bucketlist', async (t) => {
  const user = await signUp(app);
  const created = await send('POST', '/v1/bucketlists', user.headers, { name: 'Food' });
  const location = created.headers.location as string;
  const response = await send('GET', location, user.headers);
  t.equal(response.statusCode, 200);
  t.strictSame(response.json<BucketlistBody>(), created.json<BucketlistBody>());
});

t.test('a bucketlist created without a description has a null description', async (t) => {
  const user = await signUp(app);
  const response = await send('POST', '/v1/bucketlists', user.headers, { name: 'Books' });
  t.equal(response.statusCode, 201);
  t.equal(response.json<BucketlistBody>().description, null);
});

t.test('a bucketlist can be created with an explicit null description', async (t) => {
  const user = await signUp(app);
  const response = await send('POST', '/v1/bucketlists', user.headers, { name: 'Books', description: null });
  t.equal(response.statusCode, 201);
  t.equal(response.json<BucketlistBody>().description, null);
});

t.test('the name is stored with surrounding whitespace trimmed', async (t) => {
  const user = await signUp(app);
  const response = await send('POST', '/v1/bucketlists', user.headers, { name: ' \t Hike the Alps \n ' });
  t.equal(response.statusCode, 201);
  const { id, name } = response.json<BucketlistBody>();
  t.equal(name, 'Hike the Alps');
  t.equal((await readBucketlist(user.headers, id)).body.name, 'Hike the Alps');
});

t.test('a replaced or patched name is trimmed too', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers);
  const replaced = await send('PUT', `/v1/bucketlists/${id}`, user.headers, { name: '  Replaced  ' });
  t.equal(replaced.json<BucketlistBody>().name, 'Replaced');
  const patched = await send('PATCH', `/v1/bucketlists/${id}`, user.headers, { name: '\u3000Patched\u3000' });
  t.equal(patched.json<BucketlistBody>().name, 'Patched');
  t.equal((await readBucketlist(user.headers, id)).body.name, 'Patched');
});

t.test('the description is stored as given, whitespace included', async (t) => {
  const user = await signUp(app);
  const response = await send('POST', '/v1/bucketlists', user.headers, { name: 'N', description: '  spaced  ' });
  t.equal(response.json<BucketlistBody>().description, '  spaced  ');
});

t.test('an empty or blank name answers 400 and creates nothing', async (t) => {
  const user = await signUp(app);
  for (const name of ['', ' ', '   \t\n ', '\u3000', '\u00a0']) {
    const response = await send('POST', '/v1/bucketlists', user.headers, { name });
    const problem = expectProblem(t, response, 400, 'validation_error');
    t.equal(problem.errors?.[0]?.path, '/name', `${JSON.stringify(name)} is blamed on /name`);
  }
  const list = await send('GET', '/v1/bucketlists', user.headers);
  t.equal(list.json<{ total: number }>().total, 0);
});

t.test('a blank name answers 400 on PUT and PATCH and changes nothing', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers, { name: 'Kept' });
  expectProblem(t, await send('PUT', `/v1/bucketlists/${id}`, user.headers, { name: '  ' }), 400, 'validation_error');
  expectProblem(t, await send('PATCH', `/v1/bucketlists/${id}`, user.headers, { name: '' }), 400, 'validation_error');
  t.equal((await readBucketlist(user.headers, id)).body.name, 'Kept');
});

t.test('a missing name answers 400', async (t) => {
  const user = await signUp(app);
  const problem = expectProblem(
    t,
    await send('POST', '/v1/bucketlists', user.headers, { description: 'no name' }),
    400,
    'validation_error',
  );
  t.equal(problem.errors?.[0]?.path, '/name');
});

t.test('a name of 255 characters is accepted and one of 256 is a 400', async (t) => {
  const user = await signUp(app);
  const longest = 'n'.repeat(255);
  const accepted = await send('POST', '/v1/bucketlists', user.headers, { name: longest });
  t.equal(accepted.statusCode, 201);
  t.equal(accepted.json<BucketlistBody>().name, longest);
  expectProblem(
    t,
    await send('POST', '/v1/bucketlists', user.headers, { name: 'n'.repeat(256) }),
    400,
    'validation_error',
  );
});

t.test('the 255 limit counts characters, not bytes or UTF-16 units', async (t) => {
  const user = await signUp(app);
  const emoji = '🏔'.repeat(255);
  const accepted = await send('POST', '/v1/bucketlists', user.headers, { name: emoji });
  t.equal(accepted.statusCode, 201);
  t.equal((await readBucketlist(user.headers, accepted.json<BucketlistBody>().id)).body.name, emoji);
  expectProblem(t, await send('POST', '/v1/bucketlists', user.headers, { name: `${emoji}🏔` }), 400, 'validation_error');
});

t.test('a description of 2000 characters is accepted and one of 2001 is a 400', async (t) => {
  const user = await signUp(app);
  const longest = 'é'.repeat(2000);
  const accepted = await send('POST', '/v1/bucketlists', user.headers, { name: 'Long', description: longest });
  t.equal(accepted.statusCode, 201);
  t.equal(accepted.json<BucketlistBody>().description, longest);
  const tooLong = await send('POST', '/v1/bucketlists', user.headers, { name: 'Long', description: `${longest}é` });
  const problem = expectProblem(t, tooLong, 400, 'validation_error');
  t.equal(problem.errors?.[0]?.path, '/description');
});

t.test('unknown fields answer 400 and create nothing', async (t) => {
  const user = await signUp(app);
  for (const extra of [{ item_count: 5 }, { id: 1 }, { owner_id: 1 }, { created_at: '2020-01-01T00:00:00.000Z' }]) {
    const response = await send('POST', '/v1/bucketlists', user.headers, { name: 'Sneaky', ...extra });
    const problem = expectProblem(t, response, 400, 'validation_error');
    t.equal(problem.errors?.[0]?.path, `/${Object.keys(extra)[0]}`);
  }
  t.equal((await send('GET', '/v1/bucketlists', user.headers)).json<{ total: number }>().total, 0);
});

t.test('unknown fields answer 400 on PUT and PATCH and change nothing', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers, { name: 'Kept' });
  const before = await readBucketlist(user.headers, id);
  const put = await send('PUT', `/v1/bucketlists/${id}`, user.headers, { name: 'New', item_count: 9 });
  expectProblem(t, put, 400, 'validation_error');
  const patch = await send('PATCH', `/v1/bucketlists/${id}`, user.headers, { name: 'New', id: 99 });
  expectProblem(t, patch, 400, 'validation_error');
  t.strictSame(await readBucketlist(user.headers, id), before);
});

t.test('fields of the wrong type answer 400', async (t) => {
  const user = await signUp(app);
  for (const body of [{ name: 42 }, { name: ['x'] }, { name: 'ok', description: 7 }, { name: null }]) {
    expectProblem(t, await send('POST', '/v1/bucketlists', user.headers, body), 400, 'validation_error');
  }
});

t.test('a body that is not a JSON object answers 400', async (t) => {
  const user = await signUp(app);
  for (const payload of ['[]', '"Travel"', '42', 'null', '{"name":']) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/bucketlists',
      headers: { ...user.headers, 'content-type': 'application/json' },
      payload,
    });
    expectProblem(t, response, 400, 'validation_error');
  }
});

t.test('Unicode text round-trips unchanged', async (t) => {
  const user = await signUp(app);
  const samples = [
    { name: '👩‍👩‍👧‍👦 family trip 🏳️‍🌈', description: '🇯🇵 flags and skin tones 👍🏽' },
    { name: '富士山に登る', description: '长城 · 만리장성' },
    { name: 'לטייל בירושלים', description: 'مرحبا بالعالم ‏(RTL)‏' },
    // Decomposed forms must not be normalised: e + U+0301, and a stack of combining marks.
    { name: 'Cafe\u0301 a\u0308\u0304 Z\u0335\u0321\u031b', description: 'n\u0303 vs ñ' },
  ];
  for (const sample of samples) {
    const created = await send('POST', '/v1/bucketlists', user.headers, sample);
    t.equal(created.statusCode, 201);
    const { id } = created.json<BucketlistBody>();
    const read = await readBucketlist(user.headers, id);
    t.equal(read.body.name, sample.name);
    t.equal(read.body.description, sample.description);
  }
  const list = await send('GET', '/v1/bucketlists?sort=id', user.headers);
  t.strictSame(
    list.json<{ items: BucketlistBody[] }>().items.map(({ name, description }) => ({ name, description })),
    samples,
  );
});

t.test('text with a NUL character answers 400 instead of failing', async (t) => {
  const user = await signUp(app);
  expectProblem(t, await send('POST', '/v1/bucketlists', user.headers, { name: 'a\u0000b' }), 400, 'validation_error');
  const withDescription = { name: 'ok', description: 'd\u0000' };
  expectProblem(t, await send('POST', '/v1/bucketlists', user.headers, withDescription), 400, 'validation_error');
  const { id } = await createBucketlist(app, user.headers);
  expectProblem(
    t,
    await send('PATCH', `/v1/bucketlists/${id}`, user.headers, { name: '\u0000' }),
    400,
    'validation_error',
  );
});

t.test('reading a bucketlist answers 200 with exactly its fields', async (t) => {
  const user = await signUp(app);
  const created = await createBucketlist(app, user.headers, { name: 'Read me', description: 'please' });
  const response = await send('GET', `/v1/bucketlists/${created.id}`, user.headers);
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^application\/json/);
  const body = response.json<BucketlistBody>();
  t.strictSame(Object.keys(body).sort(), BUCKETLIST_FIELDS);
  t.strictSame(body, created);
});

t.test('PUT replaces the whole bucketlist: an omitted description becomes null', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers, { name: 'Old', description: 'Old text' });
  const response = await send('PUT', `/v1/bucketlists/${id}`, user.headers, { name: 'New' });
  t.equal(response.statusCode, 200);
  const body = response.json<BucketlistBody>();
  t.strictSame(Object.keys(body).sort(), BUCKETLIST_FIELDS);
  t.match(body, { id, name: 'New', description: null, item_count: 0 });
  t.strictSame((await readBucketlist(user.headers, id)).body, body);
});

t.test('PUT sets the description it is given', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers, { name: 'Old' });
  const response = await send('PUT', `/v1/bucketlists/${id}`, user.headers, { name: 'New', description: 'Now set' });
  t.equal(response.statusCode, 200);
  t.match(response.json<BucketlistBody>(), { name: 'New', description: 'Now set' });
});

t.test('PUT without a name answers 400 and changes nothing', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers, { name: 'Old', description: 'Kept' });
  const before = await readBucketlist(user.headers, id);
  const response = await send('PUT', `/v1/bucketlists/${id}`, user.headers, { description: 'Only this' });
  expectProblem(t, response, 400, 'validation_error');
  t.strictSame(await readBucketlist(user.headers, id), before);
});

t.test('PATCH with only a name keeps the description', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers, { name: 'Old', description: 'Kept' });
  const response = await send('PATCH', `/v1/bucketlists/${id}`, user.headers, { name: 'Renamed' });
  t.equal(response.statusCode, 200);
  const body = response.json<BucketlistBody>();
  t.strictSame(Object.keys(body).sort(), BUCKETLIST_FIELDS);
  t.match(body, { name: 'Renamed', description: 'Kept' });
  t.strictSame((await readBucketlist(user.headers, id)).body, body);
});

t.test('PATCH with only a description keeps the name', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers, { name: 'Kept', description: 'Old' });
  const response = await send('PATCH', `/v1/bucketlists/${id}`, user.headers, { description: 'New' });
  t.equal(response.statusCode, 200);
  t.match(response.json<BucketlistBody>(), { name: 'Kept', description: 'New' });
});

t.test('PATCH with a null description clears it', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers, { name: 'Kept', description: 'Old' });
  const response = await send('PATCH', `/v1/bucketlists/${id}`, user.headers, { description: null });
  t.equal(response.statusCode, 200);
  t.equal((await readBucketlist(user.headers, id)).body.description, null);
});

t.test('PATCH with an empty object answers 400 and changes nothing', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers, { name: 'Kept' });
  const before = await readBucketlist(user.headers, id);
  expectProblem(t, await send('PATCH', `/v1/bucketlists/${id}`, user.headers, {}), 400, 'validation_error');
  t.strictSame(await readBucketlist(user.headers, id), before);
});

t.test('updated_at moves on every update and created_at never does', async (t) => {
  const user = await signUp(app);
  const created = await send('POST', '/v1/bucketlists', user.headers, { name: 'Same' });
  const original = created.json<BucketlistBody>();
  let previous = original.updated_at;
  const updates: [Method, object][] = [
    ['PUT', { name: 'Same' }],
    ['PUT', { name: 'Same' }],
    ['PATCH', { name: 'Same' }],
    ['PATCH', { description: null }],
    ['PATCH', { description: 'x' }],
  ];
  for (const [method, payload] of updates) {
    const response = await send(method, `/v1/bucketlists/${original.id}`, user.headers, payload);
    t.equal(response.statusCode, 200);
    const body = response.json<BucketlistBody>();
    t.ok(Date.parse(body.updated_at) > Date.parse(previous), `${method} moved updated_at past ${previous}`);
    t.equal(body.created_at, original.created_at);
    previous = body.updated_at;
  }
  const read = (await readBucketlist(user.headers, original.id)).body;
  t.equal(read.updated_at, previous);
  t.equal(read.created_at, original.created_at);
});

t.test('a failed update leaves updated_at where it was', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers, { name: 'Still' });
  const before = await readBucketlist(user.headers, id);
  await send('PATCH', `/v1/bucketlists/${id}`, user.headers, { name: ' ' });
  t.equal((await readBucketlist(user.headers, id)).body.updated_at, before.body.updated_at);
});

t.test('item_count follows the items created and deleted', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers);
  const other = await createBucketlist(app, user.headers, { name: 'Other' });
  const first = await createItem(app, user.headers, id, { name: 'One' });
  await createItem(app, user.headers, id, { name: 'Two' });
  await createItem(app, user.headers, id, { name: 'Three', done: true });
  await createItem(app, user.headers, other.id, { name: 'Elsewhere' });
  t.equal((await readBucketlist(user.headers, id)).body.item_count, 3);
  t.equal((await readBucketlist(user.headers, other.id)).body.item_count, 1);

  const removed = await send('DELETE', `/v1/bucketlists/${id}/items/${first.id}`, user.headers);
  t.equal(removed.statusCode, 204);
  t.equal((await readBucketlist(user.headers, id)).body.item_count, 2);
  t.equal((await readBucketlist(user.headers, other.id)).body.item_count, 1);

  const list = await send('GET', '/v1/bucketlists?sort=id', user.headers);
  t.strictSame(
    list.json<{ items: BucketlistBody[] }>().items.map((bucketlist) => bucketlist.item_count),
    [2, 1],
    'the list shows the same counts',
  );
});

t.test('item_count is right after many items are added at once', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers);
  const responses = await Promise.all(
    Array.from({ length: 20 }, (_, index) =>
      send('POST', `/v1/bucketlists/${id}/items`, user.headers, { name: `Item ${index}` }),
    ),
  );
  t.strictSame(
    responses.map((response) => response.statusCode),
    Array(20).fill(201),
  );
  t.equal((await readBucketlist(user.headers, id)).body.item_count, 20);
  const items = await send('GET', `/v1/bucketlists/${id}/items`, user.headers);
  t.equal(items.json<{ total: number }>().total, 20);
});

t.test('item updates do not change item_count', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers);
  const item = await createItem(app, user.headers, id);
  await send('PATCH', `/v1/bucketlists/${id}/items/${item.id}`, user.headers, { done: true });
  await send('PUT', `/v1/bucketlists/${id}/items/${item.id}`, user.headers, { name: 'Renamed', done: false });
  t.equal((await readBucketlist(user.headers, id)).body.item_count, 1);
});

t.test('a bucketlist update does not change its item_count', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers);
  await createItem(app, user.headers, id);
  const response = await send('PUT', `/v1/bucketlists/${id}`, user.headers, { name: 'Renamed' });
  t.equal(response.json<BucketlistBody>().item_count, 1);
});

t.test('deleting a bucketlist answers 204 with no body, and it is gone', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers);
  const response = await send('DELETE', `/v1/bucketlists/${id}`, user.headers);
  t.equal(response.statusCode, 204);
  t.equal(response.body, '');
  expectProblem(t, await send('GET', `/v1/bucketlists/${id}`, user.headers), 404, 'not_found');
  t.equal((await send('GET', '/v1/bucketlists', user.headers)).json<{ total: number }>().total, 0);
});

t.test("deleting a bucketlist removes its items and no one else's", async (t) => {
  const user = await signUp(app);
  const doomed = await createBucketlist(app, user.headers, { name: 'Doomed' });
  const kept = await createBucketlist(app, user.headers, { name: 'Kept' });
  const doomedItems = [
    await createItem(app, user.headers, doomed.id, { name: 'a' }),
    await createItem(app, user.headers, doomed.id, { name: 'b' }),
  ];
  const keptItem = await createItem(app, user.headers, kept.id, { name: 'c' });

  t.equal((await send('DELETE', `/v1/bucketlists/${doomed.id}`, user.headers)).statusCode, 204);
  for (const item of doomedItems) {
    const response = await send('GET', `/v1/bucketlists/${doomed.id}/items/${item.id}`, user.headers);
    expectProblem(t, response, 404, 'not_found');
  }
  expectProblem(t, await send('GET', `/v1/bucketlists/${doomed.id}/items`, user.headers), 404, 'not_found');
  const keptRead = await send('GET', `/v1/bucketlists/${kept.id}/items/${keptItem.id}`, user.headers);
  t.equal(keptRead.statusCode, 200);
  t.equal((await readBucketlist(user.headers, kept.id)).body.item_count, 1);
});

t.test('deleting a bucketlist twice answers 404 the second time', async (t) => {
  const user = await signUp(app);
  const { id } = await createBucketlist(app, user.headers);
  t.equal((await send('DELETE', `/v1/bucketlists/${id}`, user.headers)).statusCode, 204);
  expectProblem(t, await send('DELETE', `/v1/bucketlists/${id}`, user.headers), 404, 'not_found');
});

t.test('a bucketlist that does not exist answers 404 on every route', async (t) => {
  const user = await signUp(app);
  const url = `/v1/bucketlists/${MISSING_ID}`;
  expectProblem(t, await send('GET', url, user.headers), 404, 'not_found');
  expectProblem(t, await send('PUT', url, user.headers, { name: 'x' }), 404, 'not_found');
  expectProblem(t, await send('PATCH', url, user.headers, { name: 'x' }), 404, 'not_found');
  expectProblem(t, await send('DELETE', url, user.headers), 404, 'not_found');
});

t.test("another user's bucketlist answers 404 on GET, exactly like a missing one", async (t) => {
  const { bucketlistId } = await ownerWithData();
  const intruder = await signUp(app);
  const theirs = await send('GET', `/v1/bucketlists/${bucketlistId}`, intruder.headers);
  const missing = await send('GET', `/v1/bucketlists/${MISSING_ID}`, intruder.headers);
  const problem = expectProblem(t, theirs, 404, 'not_found');
  const { instance: _theirs, ...theirsRest } = problem;
  const { instance: _missing, ...missingRest } = missing.json<ProblemBody>();
  t.strictSame(theirsRest, missingRest, 'the same problem as for a missing bucketlist');
  t.notOk(theirs.headers.etag, 'no ETag leaks');
});

t.test("another user's bucketlist answers 404 on PUT and is unchanged", async (t) => {
  const { owner, bucketlistId, before } = await ownerWithData();
  const intruder = await signUp(app);
  const response = await send('PUT', `/v1/bucketlists/${bucketlistId}`, intruder.headers, { name: 'Hijacked' });
  expectProblem(t, response, 404, 'not_found');
  t.strictSame(await readBucketlist(owner.headers, bucketlistId), before);
});

t.test("another user's bucketlist answers 404 on PATCH and is unchanged", async (t) => {
  const { owner, bucketlistId, before } = await ownerWithData();
  const intruder = await signUp(app);
  const response = await send('PATCH', `/v1/bucketlists/${bucketlistId}`, intruder.headers, { description: null });
  expectProblem(t, response, 404, 'not_found');
  t.strictSame(await readBucketlist(owner.headers, bucketlistId), before);
});

t.test("another user's bucketlist answers 404 on DELETE and is still there with its items", async (t) => {
  const { owner, bucketlistId, itemId, before } = await ownerWithData();
  const intruder = await signUp(app);
  expectProblem(t, await send('DELETE', `/v1/bucketlists/${bucketlistId}`, intruder.headers), 404, 'not_found');
  t.strictSame(await readBucketlist(owner.headers, bucketlistId), before);
  const item = await send('GET', `/v1/bucketlists/${bucketlistId}/items/${itemId}`, owner.headers);
  t.equal(item.statusCode, 200);
  t.equal(item.json<ItemBody>().name, 'Secret item');
});

t.test("another user's bucketlists are not in the list", async (t) => {
  const { owner } = await ownerWithData();
  const intruder = await signUp(app);
  const own = await createBucketlist(app, intruder.headers, { name: 'Own' });
  const response = await send('GET', '/v1/bucketlists', intruder.headers);
  t.equal(response.statusCode, 200);
  const page = response.json<{ items: BucketlistBody[]; total: number }>();
  t.equal(page.total, 1);
  t.strictSame(
    page.items.map((bucketlist) => bucketlist.id),
    [own.id],
  );
  t.equal((await send('GET', '/v1/bucketlists', owner.headers)).json<{ total: number }>().total, 1);
});

const ROUTES_WITH_ID: [Method, (id: string) => string, object | undefined][] = [
  ['GET', (id) => `/v1/bucketlists/${id}`, undefined],
  ['PUT', (id) => `/v1/bucketlists/${id}`, { name: 'x' }],
  ['PATCH', (id) => `/v1/bucketlists/${id}`, { name: 'x' }],
  ['DELETE', (id) => `/v1/bucketlists/${id}`, undefined],
];

for (const badId of ['0', '-1', 'abc', '1.5', '2147483648']) {
  t.test(`a bucketlist id of ${badId} answers 400 on every route`, async (t) => {
    const user = await signUp(app);
    for (const [method, url, payload] of ROUTES_WITH_ID) {
      const problem = expectProblem(t, await send(method, url(badId), user.headers, payload), 400, 'validation_error');
      t.equal(problem.errors?.[0]?.path, '/id', `${method} blames /id`);
    }
  });
}

t.test(
  'ids written in another notation than plain decimal answer 400 (regression: 0x1 read bucketlist 1)',
  async (t) => {
    const user = await signUp(app);
    const { id } = await createBucketlist(app, user.headers);
    for (const spelled of [`0${id}`, `+${id}`, `${id}e0`, `0x${id.toString(16)}`, `%20${id}`, `${id}.0`]) {
      for (const [method, url, payload] of ROUTES_WITH_ID) {
        expectProblem(t, await send(method, url(spelled), user.headers, payload), 400, 'validation_error');
      }
    }
    t.equal((await readBucketlist(user.headers, id)).status, 200, 'the bucketlist is still there');
  },
);

t.test('the largest 32-bit id is accepted as an id and answers 404', async (t) => {
  const user = await signUp(app);
  expectProblem(t, await send('GET', '/v1/bucketlists/2147483647', user.headers), 404, 'not_found');
});

t.test('a request without a token answers 401 before its id or body is checked', async (t) => {
  const bad = await send('PUT', '/v1/bucketlists/abc', {}, { nonsense: true });
  const problem = expectProblem(t, bad, 401, 'unauthorized');
  t.ok(problem.detail);
  t.match(bad.headers['www-authenticate'], /^Bearer/);
  expectProblem(t, await send('GET', '/v1/bucketlists', {}), 401, 'unauthorized');
  expectProblem(t, await send('POST', '/v1/bucketlists', {}, { name: 'x' }), 401, 'unauthorized');
});
