import t from 'tap';
import { build, createBucketlist, createItem, expectProblem, signUp } from '../helper.js';

type App = Awaited<ReturnType<typeof build>>;
type Page = { items: { id: number; name: string }[]; page: number; page_size: number; total: number };

const app: App = await build(t);

/** The rel → URL map of the Link header. */
function linksOf(header: unknown): Record<string, string> {
  const links: Record<string, string> = {};
  for (const match of String(header ?? '').matchAll(/<([^>]*)>\s*;\s*rel="([^"]+)"/g)) {
    links[match[2] as string] = match[1] as string;
  }
  return links;
}

async function get(url: string, headers: Record<string, string>) {
  const response = await app.inject({ method: 'GET', url, headers });
  t.equal(response.statusCode, 200, `GET ${url}`);
  return { page: response.json<Page>(), links: linksOf(response.headers.link) };
}

/** Follows the links of rel from the first URL; returns every page's ids. */
async function walk(url: string, headers: Record<string, string>, rel: 'next' | 'prev') {
  const pages: number[][] = [];
  for (let next: string | undefined = url; next;) {
    const { page, links } = await get(next, headers);
    pages.push(page.items.map((row) => row.id));
    next = links[rel];
  }
  return pages;
}

async function userWith(names: string[]) {
  const user = await signUp(app);
  const ids = [];
  for (const name of names) ids.push((await createBucketlist(app, user.headers, { name })).id);
  return { user, ids };
}

t.test('cursor mode walks every row once, forwards and back, in every sort', async (t) => {
  const { user, ids } = await userWith(['b', 'a', 'C', 'a', 'é', 'd', 'b']);
  for (const sort of ['-id', 'id', 'name', '-name', 'created_at', '-updated_at']) {
    const forwards = await walk(`/v1/bucketlists?cursor=&page_size=2&sort=${sort}`, user.headers, 'next');
    t.equal(forwards.length, 4, `${sort}: four pages`);
    t.same(forwards.flat().sort(), [...ids].sort(), `${sort}: every row once`);
    const offset = [];
    for (let page = 1; page <= 4; page++) {
      offset.push(
        (await get(`/v1/bucketlists?page=${page}&page_size=2&sort=${sort}`, user.headers)).page.items.map(
          (row) => row.id,
        ),
      );
    }
    t.same(forwards, offset, `${sort}: the same pages as by number`);

    const last = await get(`/v1/bucketlists?cursor=&page_size=2&sort=${sort}`, user.headers);
    let url = last.links.next as string;
    for (let i = 0; i < 2; i++) url = (await get(url, user.headers)).links.next as string;
    const backwards = await walk(url, user.headers, 'prev');
    t.same(backwards.reverse(), forwards, `${sort}: the same pages backwards`);
  }
});

t.test('a cursor page carries its page number and the total; the first has no prev, the last no next', async (t) => {
  const { user } = await userWith(['1', '2', '3']);
  const first = await get('/v1/bucketlists?cursor=&page_size=2', user.headers);
  t.same(
    { page: first.page.page, total: first.page.total, size: first.page.page_size },
    { page: 1, total: 3, size: 2 },
  );
  t.same(Object.keys(first.links), ['next']);
  const url = new URL(first.links.next as string, 'http://x');
  t.notOk(url.searchParams.has('page'), 'cursor links carry no page number');
  t.equal(url.searchParams.get('page_size'), '2', 'other parameters are kept');
  const second = await get(first.links.next as string, user.headers);
  t.equal(second.page.page, 2);
  t.equal(second.page.items.length, 1);
  t.same(Object.keys(second.links), ['prev']);
});

t.test('rows inserted meanwhile do not shift the next page', async (t) => {
  const { user, ids } = await userWith(['1', '2', '3', '4']);
  const first = await get('/v1/bucketlists?cursor=&page_size=2', user.headers);
  t.same(
    first.page.items.map((row) => row.id),
    [ids[3], ids[2]],
  );
  await createBucketlist(app, user.headers, { name: 'newer' });
  const second = await get(first.links.next as string, user.headers);
  t.same(
    second.page.items.map((row) => row.id),
    [ids[1], ids[0]],
    'no row seen twice',
  );
  t.equal(second.page.total, 5);
});

t.test('a forged cursor, or one of another sort or filter, is a 400 on cursor', async (t) => {
  const { user } = await userWith(['1', '2', '3']);
  const first = await get('/v1/bucketlists?cursor=&page_size=1&q=', user.headers);
  const cursor = new URL(first.links.next as string, 'http://x').searchParams.get('cursor') as string;
  const [body] = cursor.split('.');
  const tampered = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(body as string, 'base64url').toString()), i: 1 }),
  ).toString('base64url');
  for (const url of [
    `/v1/bucketlists?cursor=${tampered}.${cursor.split('.')[1]}`,
    '/v1/bucketlists?cursor=abc',
    `/v1/bucketlists?cursor=${cursor}.x`,
    `/v1/bucketlists?cursor=${cursor}&sort=name`,
    `/v1/bucketlists?cursor=${cursor}&q=other`,
  ]) {
    const response = await app.inject({ method: 'GET', url, headers: user.headers });
    const problem = expectProblem(t, response, 400, 'validation_error');
    t.equal(problem.errors?.[0]?.path, '/cursor', url);
  }
  expectProblem(
    t,
    await app.inject({ method: 'GET', url: '/v1/bucketlists?cursor=a%20b', headers: user.headers }),
    400,
    'validation_error',
  );
});

t.test('page mode keeps page-number links', async (t) => {
  const { user } = await userWith(['1', '2', '3']);
  const { links } = await get('/v1/bucketlists?page=2&page_size=1', user.headers);
  t.same(Object.fromEntries(new URL(links.next as string, 'http://x').searchParams), { page: '3', page_size: '1' });
});

t.test('items: cursor mode with the done filter and sort by done', async (t) => {
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  const ids = [];
  for (let i = 0; i < 5; i++)
    ids.push((await createItem(app, user.headers, bucketlist.id, { name: `i${i}`, done: i % 2 === 0 })).id);
  const base = `/v1/bucketlists/${bucketlist.id}/items`;
  const all = await walk(`${base}?cursor=&page_size=2&sort=done`, user.headers, 'next');
  t.same(all.flat(), [ids[1], ids[3], ids[0], ids[2], ids[4]]);
  const done = await walk(`${base}?cursor=&page_size=1&done=true&sort=-name`, user.headers, 'next');
  t.same(done.flat(), [ids[4], ids[2], ids[0]]);
});

t.test('past the end by cursor: an empty page with the total and no links', async (t) => {
  const { user, ids } = await userWith(['1', '2', '3']);
  const first = await get('/v1/bucketlists?cursor=&page_size=2&sort=id', user.headers);
  for (const id of ids.slice(2))
    await app.inject({ method: 'DELETE', url: `/v1/bucketlists/${id}`, headers: user.headers });
  const after = await get(first.links.next as string, user.headers);
  t.same(after.page.items, []);
  t.equal(after.page.total, 2);
  t.same(after.links, {});
});
