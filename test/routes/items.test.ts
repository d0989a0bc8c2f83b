/**
 * Items: the six routes of the contract's Items section, on a real database, including the
 * ownership rules (another user's bucketlist or items, or an item under the wrong bucketlist,
 * are simply not found) and what item writes do to the bucketlist's item_count.
 */
import t, { type Test } from 'tap';
import type { BucketlistBody } from '../../src/schemas/bucketlists.js';
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

const ITEM_FIELDS = ['bucketlist_id', 'created_at', 'done', 'id', 'name', 'updated_at'];

const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '10000' } });

const send = requester(app);

const itemUrl = (bucketlistId: number | string, itemId: number | string) =>
  `/v1/bucketlists/${bucketlistId}/items/${itemId}`;

async function readItem(headers: Headers, bucketlistId: number, itemId: number) {
  const response = await send('GET', itemUrl(bucketlistId, itemId), headers);
  return { status: response.statusCode, body: response.json<ItemBody>(), etag: response.headers.etag };
}

async function itemCountOf(headers: Headers, bucketlistId: number) {
  return (await send('GET', `/v1/bucketlists/${bucketlistId}`, headers)).json<BucketlistBody>().item_count;
}

async function listItems(headers: Headers, bucketlistId: number) {
  const response = await send('GET', `/v1/bucketlists/${bucketlistId}/items?sort=id`, headers);
  return response.json<{ items: ItemBody[]; total: number }>();
}

/** Asserts an RFC 9457 problem with the given status and code; returns its body. */

/** A user with a bucketlist and one item in it. */
async function userWithItem(item: { name: string; done?: boolean } = { name: 'See the aurora' }) {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  const created = await createItem(app, user.headers, bucketlist.id, item);
  return { user, bucketlistId: bucketlist.id, itemId: created.id };
}

/** Another user's bucketlist and item, and what its owner sees before the intrusion. */
async function someoneElsesItem() {
  const { user: owner, bucketlistId, itemId } = await userWithItem({ name: 'Secret', done: true });
  const intruder = await signUp(app);
  const before = {
    item: await readItem(owner.headers, bucketlistId, itemId),
    list: await listItems(owner.headers, bucketlistId),
  };
  const unchanged = async (t: Test) => {
    t.strictSame(await readItem(owner.headers, bucketlistId, itemId), before.item, "the owner's item is unchanged");
    t.strictSame(await listItems(owner.headers, bucketlistId), before.list, "the owner's items are unchanged");
    t.equal(await itemCountOf(owner.headers, bucketlistId), 1, 'the item_count is unchanged');
  };
  return { owner, intruder, bucketlistId, itemId, unchanged };
}

t.test('creating an item answers 201 with the item, its Location and its ETag', async (t) => {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  const response = await send('POST', `/v1/bucketlists/${bucketlist.id}/items`, user.headers, { name: 'Dive' });
  t.equal(response.statusCode, 201);
  t.match(response.headers['content-type'], /^application\/json/);
  const body = response.json<ItemBody>();
  t.strictSame(Object.keys(body).sort(), ITEM_FIELDS);
  t.equal(response.headers.location, itemUrl(bucketlist.id, body.id));
  t.match(response.headers.etag, /^"[^"]+"$/);
  t.match(body, { bucketlist_id: bucketlist.id, name: 'Dive', done: false });
  t.ok(Number.isInteger(body.id) && body.id > 0, 'a positive integer id');
  t.match(body.created_at, RFC3339_MS);
  t.equal(body.updated_at, body.created_at);
});

t.test('the Location of a new item answers the same item', async (t) => {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  const created = await send('POST', `/v1/bucketlists/${bucketlist.id}/items`, user.headers, { name: 'Run' });
  const response = await send('GET', created.headers.location as string, user.headers);
  t.equal(response.statusCode, 200);
  t.strictSame(response.json<ItemBody>(), created.json<ItemBody>());
});

t.test('an item can be created already done', async (t) => {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  const response = await send('POST', `/v1/bucketlists/${bucketlist.id}/items`, user.headers, {
    name: 'Done already',
    done: true,
  });
  t.equal(response.statusCode, 201);
  t.equal(response.json<ItemBody>().done, true);
  t.equal((await readItem(user.headers, bucketlist.id, response.json<ItemBody>().id)).body.done, true);
});

t.test('creating an item adds one to the item_count', async (t) => {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  t.equal(await itemCountOf(user.headers, bucketlist.id), 0);
  await createItem(app, user.headers, bucketlist.id);
  t.equal(await itemCountOf(user.headers, bucketlist.id), 1);
  await createItem(app, user.headers, bucketlist.id);
  t.equal(await itemCountOf(user.headers, bucketlist.id), 2);
});

t.test('creating an item in a bucketlist that does not exist answers 404', async (t) => {
  const user = await signUp(app);
  const response = await send('POST', `/v1/bucketlists/${MISSING_ID}/items`, user.headers, { name: 'Nowhere' });
  expectProblem(t, response, 404, 'not_found');
});

t.test('the item name is stored with surrounding whitespace trimmed', async (t) => {
  const { user, bucketlistId } = await userWithItem();
  const created = await send('POST', `/v1/bucketlists/${bucketlistId}/items`, user.headers, { name: '\n  Swim  \t' });
  const { id, name } = created.json<ItemBody>();
  t.equal(name, 'Swim');
  const replaced = await send('PUT', itemUrl(bucketlistId, id), user.headers, { name: ' Run ', done: false });
  t.equal(replaced.json<ItemBody>().name, 'Run');
  const patched = await send('PATCH', itemUrl(bucketlistId, id), user.headers, { name: '\u00a0Walk\u00a0' });
  t.equal(patched.json<ItemBody>().name, 'Walk');
  t.equal((await readItem(user.headers, bucketlistId, id)).body.name, 'Walk');
});

t.test('an empty or blank item name answers 400 on every write and changes nothing', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem();
  const before = await readItem(user.headers, bucketlistId, itemId);
  for (const name of ['', '   ', '\t\n', '\u3000']) {
    const created = await send('POST', `/v1/bucketlists/${bucketlistId}/items`, user.headers, { name });
    t.equal(expectProblem(t, created, 400, 'validation_error').errors?.[0]?.path, '/name');
    const replaced = await send('PUT', itemUrl(bucketlistId, itemId), user.headers, { name, done: true });
    expectProblem(t, replaced, 400, 'validation_error');
    const patched = await send('PATCH', itemUrl(bucketlistId, itemId), user.headers, { name });
    expectProblem(t, patched, 400, 'validation_error');
  }
  t.strictSame(await readItem(user.headers, bucketlistId, itemId), before);
  t.equal(await itemCountOf(user.headers, bucketlistId), 1);
});

t.test('a missing item name answers 400', async (t) => {
  const { user, bucketlistId } = await userWithItem();
  const response = await send('POST', `/v1/bucketlists/${bucketlistId}/items`, user.headers, { done: true });
  t.equal(expectProblem(t, response, 400, 'validation_error').errors?.[0]?.path, '/name');
});

t.test('an item name of 255 characters is accepted and one of 256 is a 400', async (t) => {
  const { user, bucketlistId } = await userWithItem();
  const longest = '字'.repeat(255);
  const accepted = await send('POST', `/v1/bucketlists/${bucketlistId}/items`, user.headers, { name: longest });
  t.equal(accepted.statusCode, 201);
  t.equal(accepted.json<ItemBody>().name, longest);
  const tooLong = await send('POST', `/v1/bucketlists/${bucketlistId}/items`, user.headers, { name: `${longest}字` });
  expectProblem(t, tooLong, 400, 'validation_error');
});

t.test('done must be a JSON boolean: "true" or 1 answers 400 on every write', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem();
  const before = await readItem(user.headers, bucketlistId, itemId);
  for (const done of ['true', 1, 'false', 0, null]) {
    const created = await send('POST', `/v1/bucketlists/${bucketlistId}/items`, user.headers, { name: 'x', done });
    t.equal(expectProblem(t, created, 400, 'validation_error').errors?.[0]?.path, '/done');
    const replaced = await send('PUT', itemUrl(bucketlistId, itemId), user.headers, { name: 'x', done });
    expectProblem(t, replaced, 400, 'validation_error');
    expectProblem(
      t,
      await send('PATCH', itemUrl(bucketlistId, itemId), user.headers, { done }),
      400,
      'validation_error',
    );
  }
  t.strictSame(await readItem(user.headers, bucketlistId, itemId), before);
  t.equal(await itemCountOf(user.headers, bucketlistId), 1);
});

t.test('unknown item fields answer 400 and change nothing', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem();
  const before = await readItem(user.headers, bucketlistId, itemId);
  const other = await createBucketlist(app, user.headers, { name: 'Other' });
  const moves = { name: 'x', bucketlist_id: other.id };
  const created = await send('POST', `/v1/bucketlists/${bucketlistId}/items`, user.headers, moves);
  t.equal(expectProblem(t, created, 400, 'validation_error').errors?.[0]?.path, '/bucketlist_id');
  const replaced = await send('PUT', itemUrl(bucketlistId, itemId), user.headers, { ...moves, done: false });
  expectProblem(t, replaced, 400, 'validation_error');
  expectProblem(t, await send('PATCH', itemUrl(bucketlistId, itemId), user.headers, moves), 400, 'validation_error');
  expectProblem(
    t,
    await send('PATCH', itemUrl(bucketlistId, itemId), user.headers, { id: 1 }),
    400,
    'validation_error',
  );
  t.strictSame(await readItem(user.headers, bucketlistId, itemId), before);
  t.equal(await itemCountOf(user.headers, other.id), 0);
});

t.test('item names with a NUL character answer 400 instead of failing', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem();
  const created = await send('POST', `/v1/bucketlists/${bucketlistId}/items`, user.headers, { name: 'a\u0000' });
  expectProblem(t, created, 400, 'validation_error');
  const patched = await send('PATCH', itemUrl(bucketlistId, itemId), user.headers, { name: '\u0000b' });
  expectProblem(t, patched, 400, 'validation_error');
});

t.test('Unicode item names round-trip unchanged', async (t) => {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  const names = [
    '🧗‍♀️ climb El Capitán 🏔️',
    '看樱花 · 벚꽃 구경',
    'שחייה בים המלח',
    'قراءة القرآن كاملاً',
    'Zoe\u0308 and Ame\u0301lie — cafe\u0301',
  ];
  for (const name of names) {
    const created = await createItem(app, user.headers, bucketlist.id, { name });
    t.equal(created.name, name);
    t.equal((await readItem(user.headers, bucketlist.id, created.id)).body.name, name);
  }
  t.strictSame(
    (await listItems(user.headers, bucketlist.id)).items.map((item) => item.name),
    names,
  );
});

t.test('reading an item answers 200 with exactly its fields', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem({ name: 'Read', done: true });
  const response = await send('GET', itemUrl(bucketlistId, itemId), user.headers);
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^application\/json/);
  const body = response.json<ItemBody>();
  t.strictSame(Object.keys(body).sort(), ITEM_FIELDS);
  t.match(body, { id: itemId, bucketlist_id: bucketlistId, name: 'Read', done: true });
});

t.test('an item that does not exist answers 404 on every item route', async (t) => {
  const { user, bucketlistId } = await userWithItem();
  const url = itemUrl(bucketlistId, MISSING_ID);
  expectProblem(t, await send('GET', url, user.headers), 404, 'not_found');
  expectProblem(t, await send('PUT', url, user.headers, { name: 'x', done: true }), 404, 'not_found');
  expectProblem(t, await send('PATCH', url, user.headers, { done: true }), 404, 'not_found');
  expectProblem(t, await send('DELETE', url, user.headers), 404, 'not_found');
});

t.test('the items of a bucketlist that does not exist answer 404', async (t) => {
  const user = await signUp(app);
  expectProblem(t, await send('GET', `/v1/bucketlists/${MISSING_ID}/items`, user.headers), 404, 'not_found');
  expectProblem(t, await send('GET', itemUrl(MISSING_ID, 1), user.headers), 404, 'not_found');
});

t.test('PUT replaces the name and the done state', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem({ name: 'Old', done: false });
  const response = await send('PUT', itemUrl(bucketlistId, itemId), user.headers, { name: 'New', done: true });
  t.equal(response.statusCode, 200);
  const body = response.json<ItemBody>();
  t.strictSame(Object.keys(body).sort(), ITEM_FIELDS);
  t.match(body, { id: itemId, bucketlist_id: bucketlistId, name: 'New', done: true });
  t.strictSame((await readItem(user.headers, bucketlistId, itemId)).body, body);
});

t.test('PUT without done, or without a name, answers 400 and changes nothing', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem();
  const before = await readItem(user.headers, bucketlistId, itemId);
  const noDone = await send('PUT', itemUrl(bucketlistId, itemId), user.headers, { name: 'New' });
  t.equal(expectProblem(t, noDone, 400, 'validation_error').errors?.[0]?.path, '/done');
  const noName = await send('PUT', itemUrl(bucketlistId, itemId), user.headers, { done: true });
  t.equal(expectProblem(t, noName, 400, 'validation_error').errors?.[0]?.path, '/name');
  t.strictSame(await readItem(user.headers, bucketlistId, itemId), before);
});

t.test('PATCH with only done keeps the name', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem({ name: 'Kept', done: false });
  const response = await send('PATCH', itemUrl(bucketlistId, itemId), user.headers, { done: true });
  t.equal(response.statusCode, 200);
  const body = response.json<ItemBody>();
  t.strictSame(Object.keys(body).sort(), ITEM_FIELDS);
  t.match(body, { name: 'Kept', done: true });
  t.strictSame((await readItem(user.headers, bucketlistId, itemId)).body, body);
});

t.test('PATCH with only a name keeps done', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem({ name: 'Old', done: true });
  const response = await send('PATCH', itemUrl(bucketlistId, itemId), user.headers, { name: 'New' });
  t.equal(response.statusCode, 200);
  t.match(response.json<ItemBody>(), { name: 'New', done: true });
});

t.test('PATCH can set done back to false', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem({ name: 'Undo', done: true });
  const response = await send('PATCH', itemUrl(bucketlistId, itemId), user.headers, { done: false });
  t.equal(response.json<ItemBody>().done, false);
  t.equal((await readItem(user.headers, bucketlistId, itemId)).body.done, false);
});

t.test('PATCH with an empty object answers 400 and changes nothing', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem();
  const before = await readItem(user.headers, bucketlistId, itemId);
  expectProblem(t, await send('PATCH', itemUrl(bucketlistId, itemId), user.headers, {}), 400, 'validation_error');
  t.strictSame(await readItem(user.headers, bucketlistId, itemId), before);
});

t.test('item updated_at moves on every update and created_at never does', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem({ name: 'Same', done: false });
  const original = (await readItem(user.headers, bucketlistId, itemId)).body;
  let previous = original.updated_at;
  const updates: [Method, object][] = [
    ['PUT', { name: 'Same', done: false }],
    ['PUT', { name: 'Same', done: false }],
    ['PATCH', { done: false }],
    ['PATCH', { done: true }],
    ['PATCH', { name: 'Other' }],
  ];
  for (const [method, payload] of updates) {
    const response = await send(method, itemUrl(bucketlistId, itemId), user.headers, payload);
    t.equal(response.statusCode, 200);
    const body = response.json<ItemBody>();
    t.ok(Date.parse(body.updated_at) > Date.parse(previous), `${method} moved updated_at past ${previous}`);
    t.equal(body.created_at, original.created_at);
    previous = body.updated_at;
  }
  const read = (await readItem(user.headers, bucketlistId, itemId)).body;
  t.equal(read.updated_at, previous);
  t.equal(read.created_at, original.created_at);
});

t.test('deleting an item answers 204 with no body; it is gone and item_count drops', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem();
  const kept = await createItem(app, user.headers, bucketlistId, { name: 'Kept' });
  const response = await send('DELETE', itemUrl(bucketlistId, itemId), user.headers);
  t.equal(response.statusCode, 204);
  t.equal(response.body, '');
  expectProblem(t, await send('GET', itemUrl(bucketlistId, itemId), user.headers), 404, 'not_found');
  t.equal(await itemCountOf(user.headers, bucketlistId), 1);
  t.strictSame(
    (await listItems(user.headers, bucketlistId)).items.map((item) => item.id),
    [kept.id],
  );
});

t.test('deleting an item twice answers 404 the second time and counts it once', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem();
  t.equal((await send('DELETE', itemUrl(bucketlistId, itemId), user.headers)).statusCode, 204);
  expectProblem(t, await send('DELETE', itemUrl(bucketlistId, itemId), user.headers), 404, 'not_found');
  t.equal(await itemCountOf(user.headers, bucketlistId), 0);
});

t.test('an item asked for under another bucketlist of the same user answers 404 on every route', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem({ name: 'Home', done: false });
  const other = await createBucketlist(app, user.headers, { name: 'Other' });
  const before = await readItem(user.headers, bucketlistId, itemId);
  const wrongUrl = itemUrl(other.id, itemId);
  expectProblem(t, await send('GET', wrongUrl, user.headers), 404, 'not_found');
  expectProblem(t, await send('PUT', wrongUrl, user.headers, { name: 'Moved', done: true }), 404, 'not_found');
  expectProblem(t, await send('PATCH', wrongUrl, user.headers, { done: true }), 404, 'not_found');
  expectProblem(t, await send('DELETE', wrongUrl, user.headers), 404, 'not_found');
  t.strictSame(await readItem(user.headers, bucketlistId, itemId), before, 'the item is unchanged');
  t.equal(await itemCountOf(user.headers, bucketlistId), 1);
  t.equal(await itemCountOf(user.headers, other.id), 0);
  t.equal((await listItems(user.headers, other.id)).total, 0);
});

t.test("another user's items are not listed: the list answers 404", async (t) => {
  const { intruder, bucketlistId, unchanged } = await someoneElsesItem();
  const response = await send('GET', `/v1/bucketlists/${bucketlistId}/items`, intruder.headers);
  expectProblem(t, response, 404, 'not_found');
  t.notOk(response.headers.link);
  await unchanged(t);
});

t.test("creating an item in another user's bucketlist answers 404 and adds nothing", async (t) => {
  const { intruder, bucketlistId, unchanged } = await someoneElsesItem();
  const response = await send('POST', `/v1/bucketlists/${bucketlistId}/items`, intruder.headers, { name: 'Planted' });
  expectProblem(t, response, 404, 'not_found');
  t.notOk(response.headers.location);
  await unchanged(t);
});

t.test("another user's item answers 404 on GET", async (t) => {
  const { intruder, bucketlistId, itemId, unchanged } = await someoneElsesItem();
  const response = await send('GET', itemUrl(bucketlistId, itemId), intruder.headers);
  expectProblem(t, response, 404, 'not_found');
  t.notOk(response.headers.etag);
  await unchanged(t);
});

t.test("another user's item answers 404 on PUT and is unchanged", async (t) => {
  const { intruder, bucketlistId, itemId, unchanged } = await someoneElsesItem();
  const response = await send('PUT', itemUrl(bucketlistId, itemId), intruder.headers, { name: 'Mine', done: false });
  expectProblem(t, response, 404, 'not_found');
  await unchanged(t);
});

t.test("another user's item answers 404 on PATCH and is unchanged", async (t) => {
  const { intruder, bucketlistId, itemId, unchanged } = await someoneElsesItem();
  const response = await send('PATCH', itemUrl(bucketlistId, itemId), intruder.headers, { done: false });
  expectProblem(t, response, 404, 'not_found');
  await unchanged(t);
});

t.test("another user's item answers 404 on DELETE and is still there", async (t) => {
  const { intruder, bucketlistId, itemId, unchanged } = await someoneElsesItem();
  expectProblem(t, await send('DELETE', itemUrl(bucketlistId, itemId), intruder.headers), 404, 'not_found');
  await unchanged(t);
});

t.test("another user's item under the intruder's own bucketlist id answers 404", async (t) => {
  const { intruder, itemId, unchanged } = await someoneElsesItem();
  const own = await createBucketlist(app, intruder.headers, { name: 'Own' });
  const url = itemUrl(own.id, itemId);
  expectProblem(t, await send('GET', url, intruder.headers), 404, 'not_found');
  expectProblem(t, await send('PATCH', url, intruder.headers, { done: false }), 404, 'not_found');
  expectProblem(t, await send('DELETE', url, intruder.headers), 404, 'not_found');
  await unchanged(t);
});

const ITEM_ROUTES: [Method, (bucketlistId: string, itemId: string) => string, object | undefined][] = [
  ['GET', (b) => `/v1/bucketlists/${b}/items`, undefined],
  ['POST', (b) => `/v1/bucketlists/${b}/items`, { name: 'x' }],
  ['GET', itemUrl, undefined],
  ['PUT', itemUrl, { name: 'x', done: true }],
  ['PATCH', itemUrl, { done: true }],
  ['DELETE', itemUrl, undefined],
];

for (const badId of ['0', '-1', 'abc', '1.5', '2147483648']) {
  t.test(`a bucketlist id of ${badId} answers 400 on every item route`, async (t) => {
    const { user, itemId } = await userWithItem();
    for (const [method, url, payload] of ITEM_ROUTES) {
      const response = await send(method, url(badId, String(itemId)), user.headers, payload);
      t.equal(expectProblem(t, response, 400, 'validation_error').errors?.[0]?.path, '/id', `${method} blames /id`);
    }
  });

  t.test(`an item id of ${badId} answers 400 on every route with an item id`, async (t) => {
    const { user, bucketlistId } = await userWithItem();
    for (const [method, url, payload] of ITEM_ROUTES.slice(2)) {
      const response = await send(method, url(String(bucketlistId), badId), user.headers, payload);
      const problem = expectProblem(t, response, 400, 'validation_error');
      t.equal(problem.errors?.[0]?.path, '/item_id', `${method} blames /item_id`);
    }
  });
}

t.test('item ids in another notation than plain decimal answer 400', async (t) => {
  const { user, bucketlistId, itemId } = await userWithItem();
  const before = await readItem(user.headers, bucketlistId, itemId);
  for (const spelled of [`0${itemId}`, `+${itemId}`, `${itemId}e0`, `${itemId}.0`]) {
    for (const [method, url, payload] of ITEM_ROUTES.slice(2)) {
      const response = await send(method, url(String(bucketlistId), spelled), user.headers, payload);
      expectProblem(t, response, 400, 'validation_error');
    }
  }
  t.strictSame(await readItem(user.headers, bucketlistId, itemId), before);
});

t.test('item routes answer 401 without a token, before ids are checked', async (t) => {
  for (const [method, url, payload] of ITEM_ROUTES) {
    expectProblem(t, await send(method, url('abc', '0'), {}, payload), 401, 'unauthorized');
  }
});
