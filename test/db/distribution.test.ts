/**
 * The schema and the statements stay ready for a distributed PostgreSQL (Citus), as
 * docs/scaling.md describes: the owner's tables distributed by owner_id, the rest reference
 * tables. Every primary key, unique key and foreign key of a distributed table includes owner_id,
 * and every statement the app sends to one filters (or inserts) by it.
 */
import { getTableName, is, type Logger } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import t from 'tap';
import * as schema from '../../src/db/schema.js';
import { buildWithDatabase, createBucketlist, createItem, signUp } from '../helper.js';

/** Distributed by owner_id: each user's rows live together on one node. */
const DISTRIBUTED = [
  'bucketlists',
  'items',
  'item_count_stripes',
  'memberships',
  'idempotency_keys',
  'exports',
  'export_chunks',
];
/** Replicated to every node: read on every request (sessions), or looked up by other keys (email, token hash). */
const REFERENCE = ['users', 'sessions', 'refresh_tokens'];
const tables = (Object.values(schema) as unknown[]).filter((value): value is PgTable => is(value, PgTable));

t.test('every table is either distributed by owner_id or a reference table', async (t) => {
  t.same(tables.map((table) => getTableName(table)).sort(), [...DISTRIBUTED, ...REFERENCE].sort());
});

t.test('every key of a distributed table includes owner_id', async (t) => {
  const gaps: string[] = [];
  for (const table of tables) {
    const config = getTableConfig(table);
    if (!DISTRIBUTED.includes(config.name)) continue;
    if (!config.columns.some((column) => column.name === 'owner_id' && column.notNull)) {
      gaps.push(`${config.name} has no owner_id`);
    }
    const keys: [string, string[]][] = [
      ...config.columns
        .filter((column) => column.primary)
        .map((column): [string, string[]] => ['primary key', [column.name]]),
      ...config.primaryKeys.map((key): [string, string[]] => ['primary key', key.columns.map((column) => column.name)]),
      ...config.columns
        .filter((column) => column.isUnique)
        .map((column): [string, string[]] => ['unique key', [column.name]]),
      ...config.uniqueConstraints.map((key): [string, string[]] => [
        'unique key',
        key.columns.map((column) => column.name),
      ]),
      ...config.indexes
        .filter((index) => index.config.unique)
        .map((index): [string, string[]] => [
          'unique index',
          index.config.columns.map((column) => ('name' in column ? (column.name ?? '?') : '?')),
        ]),
    ];
    for (const [kind, columns] of keys) {
      if (!columns.includes('owner_id')) gaps.push(`${config.name} ${kind} (${columns.join(', ')})`);
    }
    for (const foreignKey of config.foreignKeys) {
      const reference = foreignKey.reference();
      const target = getTableName(reference.foreignTable);
      const local = reference.columns.map((column) => column.name);
      const remote = reference.foreignColumns.map((column) => column.name);
      if (REFERENCE.includes(target)) continue;
      // Between distributed tables, a foreign key must join on the distribution column.
      const joinsOnOwner = local.some((column, index) => column === 'owner_id' && remote[index] === 'owner_id');
      if (!joinsOnOwner) gaps.push(`${config.name} foreign key (${local.join(', ')}) -> ${target}`);
    }
  }
  t.same(gaps, []);
});

t.test("every statement on a distributed table names the owner's id", async (t) => {
  const captured: string[] = [];
  const logger: Logger = { logQuery: (query) => captured.push(query) };
  // The app prepares its statements when it is built: the logger must be in place before.
  const { app } = await buildWithDatabase(t, { loggedBy: logger });
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  const item = await createItem(app, user.headers, bucketlist.id);
  const send = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, headers = {}) =>
    app.inject({ method, url, headers: { ...user.headers, ...headers }, ...(payload ? { payload } : {}) });
  const base = `/v1/bucketlists/${bucketlist.id}`;
  const etag = (await send('GET', base)).headers.etag as string;
  await send('PATCH', base, { name: 'Renamed' }, { 'if-match': etag });
  await send('PUT', base, { name: 'Replaced' });
  await send('GET', '/v1/bucketlists?q=repl&sort=name');
  const first = await send('GET', '/v1/bucketlists?cursor=&page_size=1&sort=-updated_at');
  await createBucketlist(app, user.headers, { name: 'Second' });
  const next = /<([^>]*)>; rel="next"/.exec(String(first.headers.link))?.[1];
  await send('GET', next ?? '/v1/bucketlists?page=99');
  await send('GET', `${base}/items?done=false&q=aur`);
  await send('GET', `${base}/items?cursor=&sort=done`);
  await send('GET', `${base}/items/${item.id}`);
  await send('PATCH', `${base}/items/${item.id}`, { done: true });
  await send('PUT', `${base}/items/${item.id}`, { name: 'Again', done: false });
  await send('POST', `${base}/items`, { name: 'Keyed' }, { 'idempotency-key': 'k1' });
  await send('POST', `${base}/items`, { name: 'Keyed' }, { 'idempotency-key': 'k1' });
  await send('DELETE', `${base}/items/${item.id}`);
  await send('DELETE', base);

  const onDistributed = captured.filter((query) => DISTRIBUTED.some((name) => query.includes(`"${name}"`)));
  t.ok(onDistributed.length >= 15, `${onDistributed.length} statements on distributed tables`);
  for (const query of new Set(onDistributed)) {
    const inserts = /^insert into "\w+" \([^)]*"owner_id"/.test(query);
    const filters = /"owner_id" = (\$\d+|\(select)/.test(query);
    t.ok(inserts || filters, query);
  }
});
