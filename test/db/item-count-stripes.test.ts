/**
 * A bucketlist's item count under concurrent writers (drizzle/0006_item_count_stripes.sql): a
 * writer that finds the bucketlist's row held by another transaction counts in its stripe instead
 * of waiting, the API presents the row plus the stripes, the ETag moves with every count change,
 * and the maintenance job's fold keeps what is presented. Contention needs two connections, so
 * those tests run on PostgreSQL; the presentation and the fold run on both databases.
 */
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import t from 'tap';
import { buildWithDatabase, createBucketlist, createItem, signUp } from '../helper.js';
import type { App } from '../../src/app.js';
import { bucketlists } from '../../src/db/schema.js';
import { presentedItemCount, presentedVersion } from '../../src/repositories/item-counts.js';

type Row = Record<string, number | boolean>;
const rows = async (app: App, text: string, values: unknown[] = []) =>
  (await app.database.execute(text, values)).rows as Row[];

async function presented(app: App, headers: Record<string, string>, id: number) {
  const response = await app.inject({ method: 'GET', url: `/v1/bucketlists/${id}`, headers });
  return { itemCount: response.json().item_count as number, etag: response.headers.etag as string };
}

const etagFor = (id: number, version: number) => `"${id}-${version}"`;

const stored = async (app: App, id: number) =>
  (await rows(app, 'select item_count, version, item_count_striped from bucketlists where id = $1', [id]))[0] as Row;

t.test('a striped bucketlist presents its row plus its stripes, in reads, lists, If-Match and exports', async (t) => {
  const { app } = await buildWithDatabase(t);
  const user = await signUp(app);
  const list = await createBucketlist(app, user.headers, { name: 'Shared plans' });
  for (const name of ['a', 'b', 'c']) await createItem(app, user.headers, list.id, { name });
  const before = await presented(app, user.headers, list.id);
  t.equal(before.itemCount, 3);
  t.same(await stored(app, list.id), { item_count: 3, version: 4, item_count_striped: false }, 'counted on the row');

  // What two contending writers leave behind: two stripes and the mark.
  await rows(
    app,
    `insert into item_count_stripes (owner_id, bucketlist_id, stripe, items, changes)
     values ($1, $2, 1, 2, 2), ($1, $2, 2, -1, 1)`,
    [user.id, list.id],
  );
  await rows(app, 'update bucketlists set item_count_striped = true where id = $1', [list.id]);
  const striped = await presented(app, user.headers, list.id);
  t.equal(striped.itemCount, 4, 'the row (3) plus the stripes (2 - 1)');
  t.not(striped.etag, before.etag, 'the count changed, so did the ETag');
  t.equal(striped.etag, etagFor(list.id, 7), 'the version is the row (4) plus the stripes’ changes (3)');

  const page = await app.inject({ method: 'GET', url: '/v1/bucketlists', headers: user.headers });
  t.equal(page.json().items[0].item_count, 4, 'a list page presents the same count');

  const stale = await app.inject({
    method: 'PATCH',
    url: `/v1/bucketlists/${list.id}`,
    headers: { ...user.headers, 'if-match': before.etag },
    payload: { name: 'Renamed' },
  });
  t.equal(stale.statusCode, 412, 'the tag from before the stripes is stale');
  const renamed = await app.inject({
    method: 'PATCH',
    url: `/v1/bucketlists/${list.id}`,
    headers: { ...user.headers, 'if-match': striped.etag },
    payload: { name: 'Renamed' },
  });
  t.equal(renamed.statusCode, 200, 'the current tag matches');
  t.equal(renamed.json().item_count, 4);
  t.equal(renamed.headers.etag, etagFor(list.id, 8));

  t.equal(await app.repositories.itemCounts.foldStripes(), 1, 'the fold takes the striped bucketlist');
  const folded = await presented(app, user.headers, list.id);
  t.same(folded, { itemCount: 4, etag: renamed.headers.etag }, 'the fold changes nothing that is presented');
  t.same(await stored(app, list.id), { item_count: 4, version: 8, item_count_striped: false });
  t.same(await rows(app, 'select * from item_count_stripes'), [], 'and leaves no stripe');
  t.equal(await app.repositories.itemCounts.foldStripes(), 0, 'nothing is left to fold');

  await createItem(app, user.headers, list.id, { name: 'd' });
  t.equal((await presented(app, user.headers, list.id)).itemCount, 5, 'an uncontended writer counts on the row again');
});

t.test(
  'a statement over bucketlists plans no scan of the stripes: only a striped row calls for their sums',
  async (t) => {
    const { app } = await buildWithDatabase(t);
    const query = new PgDialect().sqlToQuery(
      sql`explain select ${presentedItemCount}, ${presentedVersion} from ${bucketlists} where ${bucketlists.id} = 1`,
    );
    const plan = (await rows(app, query.sql, query.params)).map((row) => row['QUERY PLAN']).join('\n');
    t.match(plan, /on bucketlists/, 'the plan reads the bucketlists');
    t.notMatch(plan, /item_count_stripes|SubPlan/, 'and sets up nothing for the stripes');
  },
);

t.test('deleting a striped bucketlist, or its owner, takes its stripes with it', async (t) => {
  const { app } = await buildWithDatabase(t);
  const user = await signUp(app);
  const list = await createBucketlist(app, user.headers, { name: 'Going' });
  await createItem(app, user.headers, list.id, { name: 'a' });
  await rows(
    app,
    `insert into item_count_stripes (owner_id, bucketlist_id, stripe, items, changes) values ($1, $2, 3, 1, 1)`,
    [user.id, list.id],
  );
  await rows(app, 'update bucketlists set item_count_striped = true where id = $1', [list.id]);
  const removed = await app.inject({ method: 'DELETE', url: `/v1/bucketlists/${list.id}`, headers: user.headers });
  t.equal(removed.statusCode, 204, 'the items’ delete trigger finds the bucketlist gone and counts nothing');
  t.same(await rows(app, 'select * from item_count_stripes'), []);
});

const onPostgres = (database: { url?: string }) => database.url;

t.test('a writer that finds the row held counts in its stripe, and then no writer waits for the row', async (t) => {
  const { app, database } = await buildWithDatabase(t);
  const url = onPostgres(database);
  if (!url) return t.pass('skipped', { skip: 'contention needs two connections: PostgreSQL only (TEST_DATABASE_URL)' });
  const holder = postgres(url, { max: 1, onnotice: () => {} });
  const writer = postgres(url, { max: 1, onnotice: () => {}, connection: { statement_timeout: 5000 } });
  t.teardown(() => Promise.all([holder.end(), writer.end()]));
  const user = await signUp(app);
  const list = await createBucketlist(app, user.headers, { name: 'Party' });
  const insertItem = (sql: postgres.Sql | postgres.TransactionSql, name: string) =>
    sql`insert into items (bucketlist_id, owner_id, name, name_folded) values (${list.id}, ${user.id}, ${name}, ${name})`;

  // One transaction holds the row (it counted an item there); the next writer must not queue on it
  // for its count, only once to mark the bucketlist striped.
  let releaseHolder = () => {};
  const held = holder.begin(async (sql) => {
    await insertItem(sql, 'first');
    await new Promise<void>((resolve) => (releaseHolder = resolve));
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const marking = insertItem(writer, 'second').execute();
  await new Promise((resolve) => setTimeout(resolve, 200));
  releaseHolder();
  await held;
  await marking;
  t.same(await stored(app, list.id), { item_count: 1, version: 2, item_count_striped: true }, 'row: the first item');
  t.same(
    await rows(app, 'select items, changes from item_count_stripes where bucketlist_id = $1', [list.id]),
    [{ items: 1, changes: 1 }],
    'the second item is in a stripe',
  );

  // Now striped: a writer goes straight to its stripe while another transaction holds the row.
  const lockTimeout = postgres(url, { max: 1, onnotice: () => {}, connection: { lock_timeout: 1000 } });
  t.teardown(() => lockTimeout.end());
  await holder.begin(async (sql) => {
    await sql`update bucketlists set name = name where id = ${list.id}`;
    await insertItem(lockTimeout, 'third');
    t.pass('the third item was counted while the row was held');
  });
  t.equal((await presented(app, user.headers, list.id)).itemCount, 3);

  // Many writers at once through the API; every count and every ETag change is accounted for.
  const before = await presented(app, user.headers, list.id);
  const created = await Promise.all(
    Array.from({ length: 40 }, (_, index) =>
      app.inject({
        method: 'POST',
        url: `/v1/bucketlists/${list.id}/items`,
        headers: user.headers,
        payload: { name: `item ${index}` },
      }),
    ),
  );
  t.same(
    created.map((response) => response.statusCode),
    Array(40).fill(201),
  );
  const after = await presented(app, user.headers, list.id);
  const [counted] = await rows(app, 'select count(*)::int as count from items where bucketlist_id = $1', [list.id]);
  t.equal(after.itemCount, 43);
  t.equal(counted?.count, 43, 'the presented count is the number of items');
  t.not(after.etag, before.etag);

  // A fold skips a bucketlist a writer is counting into, and takes it on the next run.
  await holder.begin(async (sql) => {
    await sql`select 1 from bucketlists where id = ${list.id} for key share`;
    t.equal(await app.repositories.itemCounts.foldStripes(), 0, 'skipped while a writer holds it');
  });
  t.equal(await app.repositories.itemCounts.foldStripes(), 1, 'folded once the writer is done');
  t.same(await presented(app, user.headers, list.id), after, 'presented as before the fold');
  const { version } = await stored(app, list.id);
  t.equal(etagFor(list.id, Number(version)), after.etag, 'the row holds the version that was presented');
  t.same(await stored(app, list.id), { item_count: 43, version, item_count_striped: false });
});
