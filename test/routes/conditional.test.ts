/**
 * Conditional requests (RFC 9110 §13) on bucketlists and items: strong ETags, 304 for a current
 * If-None-Match, 412 for a stale If-Match with nothing changed, and lost-update protection
 * under concurrent writers.
 */
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import type { BucketlistBody } from '../../src/schemas/bucketlists.js';
import type { ProblemBody } from '../../src/schemas/common.js';
import type { ItemBody } from '../../src/schemas/items.js';
import { build, createBucketlist, createItem, type Headers, requester, signUp } from '../helper.js';

const STRONG_ETAG = /^"[\x21\x23-\x7e]+"$/;

const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '10000' } });

const send = requester(app);

/** The current state and ETag of a resource. */
async function read<T>(url: string, headers: Headers) {
  const response = await send('GET', url, headers);
  return { status: response.statusCode, body: response.json<T>(), etag: String(response.headers.etag) };
}

function assertPreconditionFailed(t: Test, response: LightMyRequestResponse) {
  t.equal(response.statusCode, 412);
  t.match(response.headers['content-type'], /^application\/problem\+json/);
  const body = response.json<ProblemBody>();
  t.equal(body.status, 412);
  t.equal(body.code, 'precondition_failed');
}

function assertNotModified(t: Test, response: LightMyRequestResponse, etag: string) {
  t.equal(response.statusCode, 304);
  t.equal(response.body, '', 'no body');
  t.equal(response.headers.etag, etag, 'the ETag is sent again');
}

/** A user with a bucketlist and an item, and the URLs of both. */
async function userWithItem() {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers, { name: 'Plans', description: 'Original' });
  const item = await createItem(app, user.headers, bucketlist.id, { name: 'Original item' });
  return {
    user,
    bucketlistUrl: `/v1/bucketlists/${bucketlist.id}`,
    itemUrl: `/v1/bucketlists/${bucketlist.id}/items/${item.id}`,
  };
}

const withTag = (headers: Headers, name: 'if-match' | 'if-none-match', value: string) => ({
  ...headers,
  [name]: value,
});

/** Changes the resource once, so that the tag read before is stale. */
async function staleTagOf(url: string, headers: Headers, change: object) {
  const { etag } = await read(url, headers);
  const changed = await send('PATCH', url, headers, change);
  if (changed.statusCode !== 200) throw new Error(`change failed: ${changed.body}`);
  return etag;
}

t.test('GET of a bucketlist sends a strong ETag', async (t) => {
  const { user, bucketlistUrl } = await userWithItem();
  const response = await send('GET', bucketlistUrl, user.headers);
  t.equal(response.statusCode, 200);
  t.match(response.headers.etag, STRONG_ETAG);
  t.equal(
    (await send('GET', bucketlistUrl, user.headers)).headers.etag,
    response.headers.etag,
    'stable while unchanged',
  );
});

t.test('GET of an item sends a strong ETag', async (t) => {
  const { user, itemUrl } = await userWithItem();
  const response = await send('GET', itemUrl, user.headers);
  t.equal(response.statusCode, 200);
  t.match(response.headers.etag, STRONG_ETAG);
  t.equal((await send('GET', itemUrl, user.headers)).headers.etag, response.headers.etag, 'stable while unchanged');
});

t.test('the ETag of a create, PUT or PATCH response is the one GET then sends', async (t) => {
  const user = await signUp(app);
  const created = await send('POST', '/v1/bucketlists', user.headers, { name: 'Tagged' });
  const url = created.headers.location as string;
  t.equal((await read(url, user.headers)).etag, created.headers.etag);
  const replaced = await send('PUT', url, user.headers, { name: 'Replaced' });
  t.equal((await read(url, user.headers)).etag, replaced.headers.etag);
  const patched = await send('PATCH', url, user.headers, { name: 'Patched' });
  t.equal((await read(url, user.headers)).etag, patched.headers.etag);

  const item = await send('POST', `${url}/items`, user.headers, { name: 'Item' });
  const itemUrl = item.headers.location as string;
  t.equal((await read(itemUrl, user.headers)).etag, item.headers.etag);
  const itemPatched = await send('PATCH', itemUrl, user.headers, { done: true });
  t.equal((await read(itemUrl, user.headers)).etag, itemPatched.headers.etag);
});

for (const resource of ['bucketlist', 'item'] as const) {
  const urlOf = (setup: Awaited<ReturnType<typeof userWithItem>>) =>
    resource === 'bucketlist' ? setup.bucketlistUrl : setup.itemUrl;
  const change = resource === 'bucketlist' ? { description: 'Changed' } : { done: true };
  const replacement = resource === 'bucketlist' ? { name: 'Replaced' } : { name: 'Replaced', done: true };

  t.test(`If-None-Match with the current tag answers 304 with no body (${resource})`, async (t) => {
    const setup = await userWithItem();
    const { etag } = await read(urlOf(setup), setup.user.headers);
    assertNotModified(t, await send('GET', urlOf(setup), withTag(setup.user.headers, 'if-none-match', etag)), etag);
  });

  t.test(`If-None-Match with the current tag in a list answers 304 (${resource})`, async (t) => {
    const setup = await userWithItem();
    const { etag } = await read(urlOf(setup), setup.user.headers);
    const headers = withTag(setup.user.headers, 'if-none-match', `"stale-1", ${etag} ,"other"`);
    assertNotModified(t, await send('GET', urlOf(setup), headers), etag);
  });

  t.test(`If-None-Match with the current tag marked weak (W/) answers 304 (${resource})`, async (t) => {
    const setup = await userWithItem();
    const { etag } = await read(urlOf(setup), setup.user.headers);
    assertNotModified(
      t,
      await send('GET', urlOf(setup), withTag(setup.user.headers, 'if-none-match', `W/${etag}`)),
      etag,
    );
  });

  t.test(`If-None-Match with a stale tag answers 200 with the new state (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const stale = await staleTagOf(url, setup.user.headers, change);
    const response = await send('GET', url, withTag(setup.user.headers, 'if-none-match', stale));
    t.equal(response.statusCode, 200);
    t.not(response.headers.etag, stale);
    t.match(response.json<object>(), change);
  });

  t.test(`a stale If-Match on PUT answers 412 and changes nothing (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const stale = await staleTagOf(url, setup.user.headers, change);
    const before = await read(url, setup.user.headers);
    assertPreconditionFailed(t, await send('PUT', url, withTag(setup.user.headers, 'if-match', stale), replacement));
    t.strictSame(await read(url, setup.user.headers), before);
  });

  t.test(`a stale If-Match on PATCH answers 412 and changes nothing (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const stale = await staleTagOf(url, setup.user.headers, change);
    const before = await read(url, setup.user.headers);
    const response = await send('PATCH', url, withTag(setup.user.headers, 'if-match', stale), { name: 'Overwritten' });
    assertPreconditionFailed(t, response);
    t.strictSame(await read(url, setup.user.headers), before);
  });

  t.test(`a stale If-Match on DELETE answers 412 and deletes nothing (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const stale = await staleTagOf(url, setup.user.headers, change);
    const before = await read(url, setup.user.headers);
    assertPreconditionFailed(t, await send('DELETE', url, withTag(setup.user.headers, 'if-match', stale)));
    t.strictSame(await read(url, setup.user.headers), before);
    t.equal((await read(setup.bucketlistUrl, setup.user.headers)).status, 200, 'the bucketlist is still there');
  });

  t.test(`an If-Match that names no tag of this resource answers 412 (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const before = await read(url, setup.user.headers);
    for (const tag of ['"nonsense"', '"999999-1"', 'garbage', `"${before.etag}"`]) {
      assertPreconditionFailed(
        t,
        await send('PATCH', url, withTag(setup.user.headers, 'if-match', tag), { name: 'x' }),
      );
    }
    t.strictSame(await read(url, setup.user.headers), before);
  });

  t.test(`If-Match compares strongly: the current tag marked weak answers 412 (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const before = await read(url, setup.user.headers);
    const response = await send('PATCH', url, withTag(setup.user.headers, 'if-match', `W/${before.etag}`), change);
    assertPreconditionFailed(t, response);
    t.strictSame(await read(url, setup.user.headers), before);
  });

  t.test(`If-Match compares strongly: the current tag spelled otherwise answers 412 (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const before = await read(url, setup.user.headers);
    const [, id, version] = /^"(\d+)-(\d+)"$/.exec(before.etag) ?? [];
    for (const tag of [`"${id}-0${version}"`, `"${id}-+${version}"`, `"0${id}-${version}"`, `"${id}-${version}.0"`]) {
      assertPreconditionFailed(t, await send('PATCH', url, withTag(setup.user.headers, 'if-match', tag), change));
    }
    t.strictSame(await read(url, setup.user.headers), before);
  });

  t.test(`the current If-Match on PUT succeeds and sends the new ETag (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const { etag } = await read(url, setup.user.headers);
    const response = await send('PUT', url, withTag(setup.user.headers, 'if-match', etag), replacement);
    t.equal(response.statusCode, 200);
    t.match(response.json<object>(), replacement);
    t.match(response.headers.etag, STRONG_ETAG);
    t.not(response.headers.etag, etag, 'a new tag');
    t.equal((await read(url, setup.user.headers)).etag, response.headers.etag);
  });

  t.test(`the current If-Match on PATCH succeeds and sends the new ETag (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const { etag } = await read(url, setup.user.headers);
    const response = await send('PATCH', url, withTag(setup.user.headers, 'if-match', etag), change);
    t.equal(response.statusCode, 200);
    t.match(response.json<object>(), change);
    t.not(response.headers.etag, etag, 'a new tag');
    t.equal((await read(url, setup.user.headers)).etag, response.headers.etag);
    const again = await send('PATCH', url, withTag(setup.user.headers, 'if-match', etag), change);
    assertPreconditionFailed(t, again);
  });

  t.test(`the current If-Match on DELETE deletes (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const { etag } = await read(url, setup.user.headers);
    const response = await send('DELETE', url, withTag(setup.user.headers, 'if-match', etag));
    t.equal(response.statusCode, 204);
    t.equal((await send('GET', url, setup.user.headers)).statusCode, 404);
  });

  t.test(`If-Match with the current tag in a list, or *, succeeds (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const { etag } = await read(url, setup.user.headers);
    const listed = await send('PATCH', url, withTag(setup.user.headers, 'if-match', `"old", ${etag}`), change);
    t.equal(listed.statusCode, 200);
    // Two tags of this very resource: an older version of it, and the current one.
    const current = String(listed.headers.etag);
    const older = current.replace(/-\d+"$/, '-1"');
    const both = await send('PATCH', url, withTag(setup.user.headers, 'if-match', `${older}, ${current}`), change);
    t.equal(both.statusCode, 200, 'one of several tags of the resource is current');
    const stale = await send('PATCH', url, withTag(setup.user.headers, 'if-match', `${older}, ${current}`), change);
    assertPreconditionFailed(t, stale);
    const any = await send('PATCH', url, withTag(setup.user.headers, 'if-match', '*'), change);
    t.equal(any.statusCode, 200);
  });

  t.test(`every update gives a new ETag, even one that changes no value (${resource})`, async (t) => {
    const setup = await userWithItem();
    const url = urlOf(setup);
    const seen = new Set([(await read(url, setup.user.headers)).etag]);
    for (let round = 0; round < 3; round++) {
      const response = await send('PATCH', url, setup.user.headers, change);
      t.equal(response.statusCode, 200);
      seen.add(String(response.headers.etag));
    }
    t.equal(seen.size, 4, 'four different tags');
  });
}

t.test('If-Match on a missing or foreign bucketlist answers 404, not 412', async (t) => {
  const { user, bucketlistUrl, itemUrl } = await userWithItem();
  const { etag } = await read(bucketlistUrl, user.headers);
  const intruder = await signUp(app);
  const guarded = withTag(intruder.headers, 'if-match', etag);
  t.equal((await send('PATCH', bucketlistUrl, guarded, { name: 'x' })).statusCode, 404);
  t.equal((await send('DELETE', bucketlistUrl, guarded)).statusCode, 404);
  t.equal((await send('PATCH', itemUrl, guarded, { done: true })).statusCode, 404);
  t.equal((await send('PATCH', '/v1/bucketlists/2147483647', guarded, { name: 'x' })).statusCode, 404);
  t.equal((await read(bucketlistUrl, user.headers)).etag, etag, 'the bucketlist is unchanged');
});

t.test("another user's If-None-Match gets a 404, not a 304", async (t) => {
  const { user, bucketlistUrl } = await userWithItem();
  const { etag } = await read(bucketlistUrl, user.headers);
  const intruder = await signUp(app);
  const response = await send('GET', bucketlistUrl, withTag(intruder.headers, 'if-none-match', etag));
  t.equal(response.statusCode, 404);
});

t.test('the bucketlist ETag changes when its item_count changes', async (t) => {
  const { user, bucketlistUrl } = await userWithItem();
  const first = await read<BucketlistBody>(bucketlistUrl, user.headers);
  const added = await send('POST', `${bucketlistUrl}/items`, user.headers, { name: 'Another' });
  const second = await read<BucketlistBody>(bucketlistUrl, user.headers);
  t.equal(second.body.item_count, first.body.item_count + 1);
  t.not(second.etag, first.etag, 'a new tag after an item is added');
  const stale = await send('GET', bucketlistUrl, withTag(user.headers, 'if-none-match', first.etag));
  t.equal(stale.statusCode, 200, 'the old tag no longer gets a 304');

  await send('DELETE', added.headers.location as string, user.headers);
  const third = await read<BucketlistBody>(bucketlistUrl, user.headers);
  t.equal(third.body.item_count, first.body.item_count);
  t.not(third.etag, second.etag, 'a new tag after an item is deleted');
  t.not(third.etag, first.etag, 'not the tag of the earlier state either');
});

t.test('a bucketlist write guarded by a tag read before an item was added answers 412', async (t) => {
  const { user, bucketlistUrl } = await userWithItem();
  const { etag } = await read(bucketlistUrl, user.headers);
  await send('POST', `${bucketlistUrl}/items`, user.headers, { name: 'Added meanwhile' });
  const before = await read(bucketlistUrl, user.headers);
  assertPreconditionFailed(t, await send('DELETE', bucketlistUrl, withTag(user.headers, 'if-match', etag)));
  t.strictSame(await read(bucketlistUrl, user.headers), before);
});

t.test('an item update leaves the bucketlist ETag alone', async (t) => {
  const { user, bucketlistUrl, itemUrl } = await userWithItem();
  const { etag } = await read(bucketlistUrl, user.headers);
  await send('PATCH', itemUrl, user.headers, { done: true });
  t.equal((await read(bucketlistUrl, user.headers)).etag, etag);
});

t.test('20 concurrent PATCHes with the same If-Match: exactly one wins, nineteen get 412', async (t) => {
  const { user, bucketlistUrl } = await userWithItem();
  const { etag } = await read(bucketlistUrl, user.headers);
  const headers = withTag(user.headers, 'if-match', etag);
  const responses = await Promise.all(
    Array.from({ length: 20 }, (_, writer) => send('PATCH', bucketlistUrl, headers, { name: `Writer ${writer}` })),
  );
  const statuses = responses.map((response) => response.statusCode);
  t.equal(statuses.filter((status) => status === 200).length, 1, 'one 200');
  t.equal(statuses.filter((status) => status === 412).length, 19, 'nineteen 412');
  const winner = responses.find((response) => response.statusCode === 200);
  const after = await read<BucketlistBody>(bucketlistUrl, user.headers);
  t.strictSame(after.body, winner?.json<BucketlistBody>(), "the winner's write is what the bucketlist holds");
  t.equal(after.etag, winner?.headers.etag);
});

t.test('20 concurrent item PATCHes with the same If-Match: exactly one wins', async (t) => {
  const { user, itemUrl } = await userWithItem();
  const { etag } = await read(itemUrl, user.headers);
  const headers = withTag(user.headers, 'if-match', etag);
  const responses = await Promise.all(
    Array.from({ length: 20 }, (_, writer) => send('PATCH', itemUrl, headers, { name: `Writer ${writer}` })),
  );
  const statuses = responses.map((response) => response.statusCode).sort();
  t.strictSame(statuses, [200, ...Array(19).fill(412)]);
  const winner = responses.find((response) => response.statusCode === 200);
  t.strictSame((await read<ItemBody>(itemUrl, user.headers)).body, winner?.json<ItemBody>());
});

t.test('20 concurrent guarded DELETEs and PATCHes: exactly one wins', async (t) => {
  const { user, bucketlistUrl } = await userWithItem();
  const { etag } = await read(bucketlistUrl, user.headers);
  const headers = withTag(user.headers, 'if-match', etag);
  const responses = await Promise.all(
    Array.from({ length: 20 }, (_, writer) =>
      writer % 2 === 0 ? send('DELETE', bucketlistUrl, headers) : send('PATCH', bucketlistUrl, headers, { name: 'P' }),
    ),
  );
  const statuses = responses.map((response) => response.statusCode);
  const wins = statuses.filter((status) => status === 200 || status === 204);
  t.equal(wins.length, 1, 'one write succeeds');
  // After a delete won, later writers find nothing to precondition on: 404 is as right as 412.
  t.ok(
    statuses.every((status) => [200, 204, 404, 412].includes(status)),
    `only 200, 204, 404 or 412: ${statuses.join(', ')}`,
  );
  const state = await send('GET', bucketlistUrl, user.headers);
  t.equal(state.statusCode, wins[0] === 204 ? 404 : 200);
});
