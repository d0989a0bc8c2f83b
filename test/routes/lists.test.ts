/**
 * Lists: pagination, search, filters, sorting and Link headers of GET /v1/bucketlists and
 * GET /v1/bucketlists/{id}/items, as the contract's Lists section states them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import type { BucketlistBody } from '../../src/schemas/bucketlists.js';
import type { ProblemBody } from '../../src/schemas/common.js';
import type { ItemBody } from '../../src/schemas/items.js';
import { build, createBucketlist, createItem, signUp } from '../helper.js';

type Headers = Record<string, string>;
interface Page<T> {
  items: T[];
  page: number;
  page_size: number;
  total: number;
}

const PAGE_FIELDS = ['items', 'page', 'page_size', 'total'];

const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '10000' } });

const get = (url: string, headers: Headers) => app.inject({ method: 'GET', url, headers });

/** GET a list and assert it is a 200 page; returns the page and the response. */
async function getPage<T>(t: Test, url: string, headers: Headers) {
  const response = await get(url, headers);
  t.equal(response.statusCode, 200, `GET ${url} answers 200`);
  const page = response.json<Page<T>>();
  return { page, response };
}

const bucketlistPage = (t: Test, query: string, headers: Headers) =>
  getPage<BucketlistBody>(t, `/v1/bucketlists${query}`, headers);

const itemPage = (t: Test, bucketlistId: number, query: string, headers: Headers) =>
  getPage<ItemBody>(t, `/v1/bucketlists/${bucketlistId}/items${query}`, headers);

const namesOf = (page: Page<{ name: string }>) => page.items.map((entry) => entry.name);

/** The rel → URL map of an RFC 8288 Link header. */
function linksOf(response: LightMyRequestResponse): Record<string, string> {
  const header = response.headers.link;
  const links: Record<string, string> = {};
  for (const match of String(header ?? '').matchAll(/<([^>]*)>\s*;\s*rel="([^"]+)"/g)) {
    links[match[2] as string] = match[1] as string;
  }
  return links;
}

/** The query parameters of a link, as a plain object. */
const queryOf = (link: string) => Object.fromEntries(new URL(link, 'http://localhost').searchParams);

function assertValidationProblem(t: Test, response: LightMyRequestResponse, path: string) {
  t.equal(response.statusCode, 400, `${response.raw.req.url} answers 400`);
  t.match(response.headers['content-type'], /^application\/problem\+json/);
  const body = response.json<ProblemBody>();
  t.equal(body.code, 'validation_error');
  t.equal(body.errors?.[0]?.path, path);
}

/** A new user with bucketlists of the given names, created in that order. */
async function userWithBucketlists(names: string[]) {
  const user = await signUp(app);
  const created = [];
  for (const name of names) created.push(await createBucketlist(app, user.headers, { name }));
  return { user, ids: created.map((bucketlist) => bucketlist.id) };
}

/** A new user with one bucketlist holding items of the given names (and done states). */
async function userWithItems(items: { name: string; done?: boolean }[]) {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  const ids: number[] = [];
  for (const item of items) ids.push((await createItem(app, user.headers, bucketlist.id, item)).id);
  return { user, bucketlistId: bucketlist.id, ids };
}

const numbered = (count: number, prefix = 'List') =>
  Array.from({ length: count }, (_, index) => `${prefix} ${String(index + 1).padStart(2, '0')}`);

t.test('a list defaults to page 1 of 20, newest first, with the total of all pages', async (t) => {
  const { user, ids } = await userWithBucketlists(numbered(25));
  const { page, response } = await bucketlistPage(t, '', user.headers);
  t.match(response.headers['content-type'], /^application\/json/);
  t.strictSame(Object.keys(page).sort(), PAGE_FIELDS);
  t.equal(page.page, 1);
  t.equal(page.page_size, 20);
  t.equal(page.total, 25);
  t.strictSame(
    page.items.map((bucketlist) => bucketlist.id),
    [...ids].reverse().slice(0, 20),
  );
});

t.test('the pages of a list are disjoint and together hold every row once', async (t) => {
  const { user, ids } = await userWithBucketlists(numbered(7));
  const seen: number[] = [];
  for (let number = 1; number <= 3; number++) {
    const { page } = await bucketlistPage(t, `?page=${number}&page_size=3&sort=id`, user.headers);
    t.equal(page.total, 7);
    t.equal(page.page, number);
    t.equal(page.page_size, 3);
    seen.push(...page.items.map((bucketlist) => bucketlist.id));
  }
  t.strictSame(seen, ids);
});

t.test('a page past the end answers 200 with no items and the right total', async (t) => {
  const { user } = await userWithBucketlists(numbered(3));
  const { page, response } = await bucketlistPage(t, '?page=2&page_size=3', user.headers);
  t.strictSame(page, { items: [], page: 2, page_size: 3, total: 3 });
  t.strictSame(Object.keys(linksOf(response)), ['prev'], 'no next page; the previous one is the last page');
  t.equal(queryOf(linksOf(response).prev as string).page, '1');
  const far = await bucketlistPage(t, '?page=2147483647&page_size=100', user.headers);
  t.strictSame(far.page, { items: [], page: 2147483647, page_size: 100, total: 3 });
  t.notOk(far.response.headers.link, 'further out, neither a next nor a previous page exists');
  const twoPast = await bucketlistPage(t, '?page=3&page_size=3', user.headers);
  t.notOk(twoPast.response.headers.link, 'page 2 does not exist either');
});

t.test("an empty page of one's own items answers 200 with the right total, not 404", async (t) => {
  // The item list's statement returns no row for these: the bucketlist is then checked apart.
  const { user, bucketlistId } = await userWithItems([{ name: 'one' }, { name: 'two', done: true }]);
  const pastTheEnd = await itemPage(t, bucketlistId, '?page=3&page_size=1', user.headers);
  t.strictSame(pastTheEnd.page, { items: [], page: 3, page_size: 1, total: 2 });
  const noMatch = await itemPage(t, bucketlistId, '?q=three', user.headers);
  t.strictSame(noMatch.page, { items: [], page: 1, page_size: 20, total: 0 });
  const noneDone = await itemPage(t, bucketlistId, '?done=true&q=one', user.headers);
  t.strictSame(noneDone.page, { items: [], page: 1, page_size: 20, total: 0 });
  const { bucketlistId: emptyId } = await userWithItems([]);
  const owner = await signUp(app);
  const ownEmpty = await createBucketlist(app, owner.headers);
  t.strictSame((await itemPage(t, ownEmpty.id, '', owner.headers)).page, {
    items: [],
    page: 1,
    page_size: 20,
    total: 0,
  });
  const response = await app.inject({ method: 'GET', url: `/v1/bucketlists/${emptyId}/items`, headers: owner.headers });
  t.equal(response.statusCode, 404, "another user's empty bucketlist is still not found");
});

t.test('an empty list answers 200 with no items, a total of 0 and no Link', async (t) => {
  const user = await signUp(app);
  const { page, response } = await bucketlistPage(t, '', user.headers);
  t.strictSame(page, { items: [], page: 1, page_size: 20, total: 0 });
  t.notOk(response.headers.link);
});

t.test('page_size 1 and 100 are accepted', async (t) => {
  const { user } = await userWithBucketlists(numbered(2));
  t.equal((await bucketlistPage(t, '?page_size=1', user.headers)).page.items.length, 1);
  t.equal((await bucketlistPage(t, '?page_size=100', user.headers)).page.items.length, 2);
});

t.test('page_size 0, 101 or not an integer answers 400', async (t) => {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  for (const size of ['0', '101', '-1', '1.5', 'ten', '']) {
    assertValidationProblem(t, await get(`/v1/bucketlists?page_size=${size}`, user.headers), '/page_size');
    const items = await get(`/v1/bucketlists/${bucketlist.id}/items?page_size=${size}`, user.headers);
    assertValidationProblem(t, items, '/page_size');
  }
});

t.test('page and page_size written in another notation than plain decimal answer 400', async (t) => {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  for (const spelled of ['02', '+2', '2e0', '0x2', '2.0', '%202', '2%20']) {
    for (const parameter of ['page', 'page_size']) {
      const lists = [`/v1/bucketlists`, `/v1/bucketlists/${bucketlist.id}/items`];
      for (const list of lists) {
        const response = await get(`${list}?${parameter}=${spelled}`, user.headers);
        assertValidationProblem(t, response, `/${parameter}`);
        t.equal(response.json<ProblemBody>().detail, `querystring/${parameter} must be integer`);
      }
    }
  }
  // Both wrong at once: one entry each.
  const both = (await get('/v1/bucketlists?page=01&page_size=1e1', user.headers)).json<ProblemBody>();
  t.strictSame(
    both.errors?.map((issue) => issue.path),
    ['/page', '/page_size'],
  );
});

t.test('a trailing slash on a collection is a 404, not an id that fails validation', async (t) => {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  for (const url of ['/v1/bucketlists/', `/v1/bucketlists/${bucketlist.id}/items/`]) {
    const response = await get(url, user.headers);
    t.equal(response.statusCode, 404, url);
    t.equal(response.json<ProblemBody>().code, 'not_found');
  }
});

t.test('page 0, a negative page or a page that is not an integer answers 400', async (t) => {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  for (const number of ['0', '-1', '1.5', 'two', '2147483648']) {
    assertValidationProblem(t, await get(`/v1/bucketlists?page=${number}`, user.headers), '/page');
    assertValidationProblem(
      t,
      await get(`/v1/bucketlists/${bucketlist.id}/items?page=${number}`, user.headers),
      '/page',
    );
  }
});

t.test('total counts every match, not only the page', async (t) => {
  const { user } = await userWithBucketlists(['Trip one', 'Trip two', 'Chores', 'Trip three', 'Trip four']);
  const { page } = await bucketlistPage(t, '?q=trip&page_size=2', user.headers);
  t.equal(page.total, 4);
  t.equal(page.items.length, 2);
  const last = await bucketlistPage(t, '?q=trip&page_size=2&page=2', user.headers);
  t.equal(last.page.total, 4);
  t.equal(last.page.items.length, 2);
});

t.test('search is case-insensitive beyond ASCII: é finds É and É finds é', async (t) => {
  const { user } = await userWithBucketlists(['ÉTÉ À PARIS', 'été en Provence', 'Summer']);
  t.strictSame(namesOf((await bucketlistPage(t, `?q=${encodeURIComponent('é')}&sort=id`, user.headers)).page), [
    'ÉTÉ À PARIS',
    'été en Provence',
  ]);
  t.strictSame(namesOf((await bucketlistPage(t, `?q=${encodeURIComponent('ÉTÉ')}&sort=id`, user.headers)).page), [
    'ÉTÉ À PARIS',
    'été en Provence',
  ]);
  t.strictSame(namesOf((await bucketlistPage(t, `?q=${encodeURIComponent('à paris')}`, user.headers)).page), [
    'ÉTÉ À PARIS',
  ]);
});

t.test('search folds other scripts too: Cyrillic, Greek and German ß', async (t) => {
  const { user } = await userWithBucketlists(['ПРИВЕТ МИР', 'Ωκεανός', 'Große Straße', 'plain']);
  const search = async (q: string) =>
    namesOf((await bucketlistPage(t, `?q=${encodeURIComponent(q)}`, user.headers)).page);
  t.strictSame(await search('привет'), ['ПРИВЕТ МИР']);
  t.strictSame(await search('ΩΚΕΑΝ'), ['Ωκεανός']);
  t.strictSame(await search('STRASSE'), ['Große Straße'], 'STRASSE finds Straße');
  t.strictSame(await search('große'), ['Große Straße']);
});

t.test('a decomposed query finds a precomposed name and the other way round', async (t) => {
  const { user } = await userWithBucketlists(['Café Noir', 'Cafe\u0301 Au Lait', 'Cafeteria']);
  const composed = await bucketlistPage(t, `?q=${encodeURIComponent('café')}&sort=id`, user.headers);
  t.strictSame(namesOf(composed.page), ['Café Noir', 'Cafe\u0301 Au Lait']);
  const decomposed = await bucketlistPage(t, `?q=${encodeURIComponent('CAFE\u0301')}&sort=id`, user.headers);
  t.strictSame(namesOf(decomposed.page), ['Café Noir', 'Cafe\u0301 Au Lait']);
});

t.test('search treats %, _, \\ and quotes literally', async (t) => {
  const { user } = await userWithBucketlists([
    '100% fun',
    '1000 fun',
    'snake_case',
    'snakeXcase',
    'back\\slash',
    'backslash',
    "it's",
    'its',
    'say "hi"',
    'say hi',
  ]);
  const search = async (q: string) =>
    namesOf((await bucketlistPage(t, `?q=${encodeURIComponent(q)}`, user.headers)).page);
  t.strictSame(await search('%'), ['100% fun']);
  t.strictSame(await search('0%'), ['100% fun']);
  t.strictSame(await search('_'), ['snake_case']);
  t.strictSame(await search('e_c'), ['snake_case']);
  t.strictSame(await search('\\'), ['back\\slash']);
  t.strictSame(await search('k\\s'), ['back\\slash']);
  t.strictSame(await search("'"), ["it's"]);
  t.strictSame(await search('"'), ['say "hi"']);
  t.strictSame(await search("'; drop table bucketlists; --"), []);
  t.strictSame(await search('%_\\'), []);
});

t.test('a q with a NUL character matches nothing instead of failing (regression: 500)', async (t) => {
  const { user, bucketlistId } = await userWithItems([{ name: 'a b' }]);
  for (const q of ['%00', 'a%00b']) {
    const bucketlistsFound = await bucketlistPage(t, `?q=${q}`, user.headers);
    t.strictSame(bucketlistsFound.page, { items: [], page: 1, page_size: 20, total: 0 });
    const itemsFound = await itemPage(t, bucketlistId, `?q=${q}`, user.headers);
    t.strictSame(itemsFound.page, { items: [], page: 1, page_size: 20, total: 0 });
  }
});

t.test('bucketlist search looks in the name and the description', async (t) => {
  const user = await signUp(app);
  const inName = await createBucketlist(app, user.headers, { name: 'Scuba diving', description: null });
  const inDescription = await createBucketlist(app, user.headers, { name: 'Sea', description: 'Learn DIVING' });
  await createBucketlist(app, user.headers, { name: 'Mountains', description: 'Climbing' });
  const { page } = await bucketlistPage(t, '?q=Diving&sort=id', user.headers);
  t.equal(page.total, 2);
  t.strictSame(
    page.items.map((bucketlist) => bucketlist.id),
    [inName.id, inDescription.id],
  );
});

t.test('a search that matches nothing answers an empty page', async (t) => {
  const { user } = await userWithBucketlists(['One', 'Two']);
  const { page, response } = await bucketlistPage(t, '?q=zzz', user.headers);
  t.strictSame(page, { items: [], page: 1, page_size: 20, total: 0 });
  t.notOk(response.headers.link);
});

t.test("search never finds another user's bucketlists", async (t) => {
  await userWithBucketlists(['Shared word']);
  const { user } = await userWithBucketlists(['Shared word too']);
  const { page } = await bucketlistPage(t, '?q=shared', user.headers);
  t.strictSame(namesOf(page), ['Shared word too']);
});

t.test('an empty q lists everything', async (t) => {
  const { user } = await userWithBucketlists(['One', 'Two']);
  t.equal((await bucketlistPage(t, '?q=', user.headers)).page.total, 2);
});

t.test('item search is case-insensitive and literal, in item names only', async (t) => {
  const { user, bucketlistId } = await userWithItems([
    { name: 'Ski in ÅRE' },
    { name: 'Visit Åland' },
    { name: '50% off' },
    { name: 'Something else' },
  ]);
  const search = async (q: string) =>
    namesOf((await itemPage(t, bucketlistId, `?q=${encodeURIComponent(q)}&sort=id`, user.headers)).page);
  t.strictSame(await search('å'), ['Ski in ÅRE', 'Visit Åland']);
  t.strictSame(await search('%'), ['50% off']);
  t.strictSame(await search('SOMETHING'), ['Something else']);
});

t.test('the items list shows only the items of that bucketlist', async (t) => {
  const { user, bucketlistId, ids } = await userWithItems([{ name: 'A' }, { name: 'B' }]);
  const other = await createBucketlist(app, user.headers, { name: 'Other' });
  await createItem(app, user.headers, other.id, { name: 'Elsewhere' });
  const { page } = await itemPage(t, bucketlistId, '', user.headers);
  t.equal(page.total, 2);
  t.strictSame(
    page.items.map((item) => item.id),
    [...ids].reverse(),
  );
  t.strictSame(Object.keys(page).sort(), PAGE_FIELDS);
});

t.test('done=true and done=false filter the items, and total counts the filtered ones', async (t) => {
  const { user, bucketlistId } = await userWithItems([
    { name: 'a', done: true },
    { name: 'b', done: false },
    { name: 'c', done: true },
    { name: 'd', done: false },
    { name: 'e', done: false },
  ]);
  const finished = (await itemPage(t, bucketlistId, '?done=true&sort=name', user.headers)).page;
  t.equal(finished.total, 2);
  t.strictSame(namesOf(finished), ['a', 'c']);
  const open = (await itemPage(t, bucketlistId, '?done=false&sort=name&page_size=2', user.headers)).page;
  t.equal(open.total, 3);
  t.strictSame(namesOf(open), ['b', 'd']);
});

t.test('done combines with q', async (t) => {
  const { user, bucketlistId } = await userWithItems([
    { name: 'Swim far', done: true },
    { name: 'Swim fast', done: false },
    { name: 'Run far', done: true },
  ]);
  const { page } = await itemPage(t, bucketlistId, '?done=true&q=SWIM', user.headers);
  t.strictSame(namesOf(page), ['Swim far']);
  t.equal(page.total, 1);
});

t.test('done accepts exactly true or false: 1, yes, TRUE and empty answer 400', async (t) => {
  const { user, bucketlistId } = await userWithItems([{ name: 'a' }]);
  for (const value of ['1', '0', 'yes', 'no', 'TRUE', 'False', '']) {
    assertValidationProblem(t, await get(`/v1/bucketlists/${bucketlistId}/items?done=${value}`, user.headers), '/done');
  }
});

t.test('done is not a bucketlist filter', async (t) => {
  const user = await signUp(app);
  const response = await get('/v1/bucketlists?done=true', user.headers);
  t.equal(response.statusCode, 400);
  t.equal(response.json<ProblemBody>().code, 'validation_error');
});

t.test('bucketlists sort by name case-insensitively, both ways, with the id breaking ties', async (t) => {
  const { user, ids } = await userWithBucketlists(['banana', 'Cherry', 'apple', 'Banana']);
  const [banana, cherry, apple, bananaUpper] = ids as [number, number, number, number];
  const ascending = (await bucketlistPage(t, '?sort=name', user.headers)).page;
  t.strictSame(
    ascending.items.map((bucketlist) => bucketlist.id),
    [apple, banana, bananaUpper, cherry],
  );
  const descending = (await bucketlistPage(t, '?sort=-name', user.headers)).page;
  t.strictSame(
    descending.items.map((bucketlist) => bucketlist.id),
    [cherry, bananaUpper, banana, apple],
  );
});

t.test('bucketlists sort by id both ways; -id is the default', async (t) => {
  const { user, ids } = await userWithBucketlists(['b', 'a', 'c']);
  const idsOf = async (query: string) =>
    (await bucketlistPage(t, query, user.headers)).page.items.map((bucketlist) => bucketlist.id);
  t.strictSame(await idsOf('?sort=id'), ids);
  t.strictSame(await idsOf('?sort=-id'), [...ids].reverse());
  t.strictSame(await idsOf(''), [...ids].reverse());
});

t.test('bucketlists sort by created_at and by updated_at, both ways', async (t) => {
  const { user, ids } = await userWithBucketlists(['first', 'second', 'third']);
  const [first, second, third] = ids as [number, number, number];
  await sleep(5);
  const touched = await app.inject({
    method: 'PATCH',
    url: `/v1/bucketlists/${first}`,
    headers: user.headers,
    payload: { description: 'touched' },
  });
  t.equal(touched.statusCode, 200);
  const idsOf = async (query: string) =>
    (await bucketlistPage(t, query, user.headers)).page.items.map((bucketlist) => bucketlist.id);
  t.strictSame(await idsOf('?sort=created_at'), [first, second, third]);
  t.strictSame(await idsOf('?sort=-created_at'), [third, second, first]);
  t.strictSame(await idsOf('?sort=updated_at'), [second, third, first]);
  t.strictSame(await idsOf('?sort=-updated_at'), [first, third, second]);
});

t.test('items sort by done, name, id, created_at and updated_at', async (t) => {
  const { user, bucketlistId, ids } = await userWithItems([
    { name: 'b', done: true },
    { name: 'C', done: false },
    { name: 'a', done: true },
  ]);
  const [b, c, a] = ids as [number, number, number];
  await sleep(5);
  const touched = await app.inject({
    method: 'PATCH',
    url: `/v1/bucketlists/${bucketlistId}/items/${b}`,
    headers: user.headers,
    payload: { name: 'b' },
  });
  t.equal(touched.statusCode, 200);
  const idsOf = async (query: string) =>
    (await itemPage(t, bucketlistId, query, user.headers)).page.items.map((item) => item.id);
  t.strictSame(await idsOf('?sort=done'), [c, b, a]);
  t.strictSame(await idsOf('?sort=-done'), [a, b, c]);
  t.strictSame(await idsOf('?sort=name'), [a, b, c]);
  t.strictSame(await idsOf('?sort=-name'), [c, b, a]);
  t.strictSame(await idsOf('?sort=id'), [b, c, a]);
  t.strictSame(await idsOf(''), [a, c, b]);
  t.strictSame(await idsOf('?sort=created_at'), [b, c, a]);
  t.strictSame(await idsOf('?sort=-created_at'), [a, c, b]);
  t.strictSame(await idsOf('?sort=updated_at'), [c, a, b]);
  t.strictSame(await idsOf('?sort=-updated_at'), [b, a, c]);
});

t.test('a sort outside the whitelist, or in another letter case, answers 400', async (t) => {
  const { user, bucketlistId } = await userWithItems([{ name: 'a' }]);
  for (const sort of ['NAME', 'Name', '-ID', 'foo', '-foo', 'done', '--id', '+id', 'name,id', 'item_count', '']) {
    assertValidationProblem(t, await get(`/v1/bucketlists?sort=${encodeURIComponent(sort)}`, user.headers), '/sort');
  }
  for (const sort of ['DONE', 'description', 'bucketlist_id', '-Done']) {
    const response = await get(`/v1/bucketlists/${bucketlistId}/items?sort=${sort}`, user.headers);
    assertValidationProblem(t, response, '/sort');
  }
});

t.test('the first page links only to the next one', async (t) => {
  const { user } = await userWithBucketlists(numbered(5));
  const { response } = await bucketlistPage(t, '?page_size=2', user.headers);
  const links = linksOf(response);
  t.strictSame(Object.keys(links), ['next']);
  t.equal(new URL(links.next as string, 'http://localhost').pathname, '/v1/bucketlists');
  t.strictSame(queryOf(links.next as string), { page_size: '2', page: '2' });
});

t.test('a middle page links to the next and the previous pages', async (t) => {
  const { user } = await userWithBucketlists(numbered(5));
  const { response } = await bucketlistPage(t, '?page_size=2&page=2', user.headers);
  const links = linksOf(response);
  t.strictSame(Object.keys(links).sort(), ['next', 'prev']);
  t.equal(queryOf(links.next as string).page, '3');
  t.equal(queryOf(links.prev as string).page, '1');
});

t.test('the last page links only to the previous one', async (t) => {
  const { user } = await userWithBucketlists(numbered(5));
  const { response } = await bucketlistPage(t, '?page_size=2&page=3', user.headers);
  const links = linksOf(response);
  t.strictSame(Object.keys(links), ['prev']);
  t.equal(queryOf(links.prev as string).page, '2');
});

t.test('a list that fits on one page has no Link header', async (t) => {
  const { user } = await userWithBucketlists(numbered(2));
  t.notOk((await bucketlistPage(t, '?page_size=2', user.headers)).response.headers.link);
});

t.test('Link keeps the other query parameters: q, sort and page_size', async (t) => {
  const { user } = await userWithBucketlists(numbered(7, 'Trip & more'));
  const { response } = await bucketlistPage(
    t,
    `?q=${encodeURIComponent('trip &')}&sort=-name&page_size=2&page=2`,
    user.headers,
  );
  const links = linksOf(response);
  t.strictSame(queryOf(links.next as string), { q: 'trip &', sort: '-name', page_size: '2', page: '3' });
  t.strictSame(queryOf(links.prev as string), { q: 'trip &', sort: '-name', page_size: '2', page: '1' });
});

t.test('following the Link header walks the whole list, with special characters in q', async (t) => {
  const names = numbered(5, '50% & "more"');
  const { user } = await userWithBucketlists([...names, 'unrelated']);
  let url: string | undefined = `/v1/bucketlists?q=${encodeURIComponent('50% & "')}&sort=name&page_size=2`;
  const seen: string[] = [];
  while (url) {
    const { page, response }: { page: Page<BucketlistBody>; response: LightMyRequestResponse } = await getPage(
      t,
      url,
      user.headers,
    );
    t.equal(page.total, 5);
    seen.push(...namesOf(page));
    url = linksOf(response).next;
  }
  t.strictSame(seen, names);
});

t.test('the items Link keeps done, q and sort', async (t) => {
  const { user, bucketlistId } = await userWithItems(
    numbered(5, 'Hike').map((name, index) => ({ name, done: index % 2 === 0 })),
  );
  const { page, response } = await itemPage(
    t,
    bucketlistId,
    '?done=true&q=hike&sort=name&page_size=1&page=2',
    user.headers,
  );
  t.equal(page.total, 3);
  const links = linksOf(response);
  t.equal(new URL(links.next as string, 'http://localhost').pathname, `/v1/bucketlists/${bucketlistId}/items`);
  t.strictSame(queryOf(links.next as string), { done: 'true', q: 'hike', sort: 'name', page_size: '1', page: '3' });
  t.strictSame(queryOf(links.prev as string), { done: 'true', q: 'hike', sort: 'name', page_size: '1', page: '1' });
});

t.test('every list entry has exactly the fields of its resource', async (t) => {
  const { user, bucketlistId } = await userWithItems([{ name: 'a' }]);
  const bucketlists = (await bucketlistPage(t, '', user.headers)).page;
  t.strictSame(Object.keys(bucketlists.items[0] ?? {}).sort(), [
    'created_at',
    'description',
    'id',
    'item_count',
    'name',
    'updated_at',
  ]);
  t.equal(bucketlists.items[0]?.item_count, 1);
  const items = (await itemPage(t, bucketlistId, '', user.headers)).page;
  t.strictSame(Object.keys(items.items[0] ?? {}).sort(), [
    'bucketlist_id',
    'created_at',
    'done',
    'id',
    'name',
    'updated_at',
  ]);
});
