/**
 * PGlite's prepared-statement query(): the same results and errors as PGlite's own query(), each
 * statement parsed once, a bounded number of names, and no interleaving with a transaction.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type PGlite, types } from '@electric-sql/pglite';
import t, { type Test } from 'tap';
import { startPGlite } from '../../src/db/embedded.js';
import { withPreparedStatements } from '../../src/db/pglite-statements.js';

async function openClient(t: Test) {
  const client = await startPGlite();
  t.teardown(() => client.close());
  await client.exec(`
    create table things (id integer primary key, name text not null, seen_at timestamptz);
    insert into things values (1, 'one', '2026-11-21 10:00:00+00'), (2, 'two', null);
  `);
  return client;
}

const SELECT_BY_ID = 'select id, name, seen_at from things where id = $1';
const preparedCount = async (client: PGlite) =>
  (await client.query<{ count: number }>('select count(*)::int as count from pg_prepared_statements')).rows[0]?.count;

t.test('rows, fields and parsers are what PGlite itself returns', async (t) => {
  const client = await openClient(t);
  const prepared = withPreparedStatements(client);
  const keepTimestamps = { parsers: { [types.TIMESTAMPTZ]: (value: string) => value } };
  // Drizzle's options for a statement whose fields it maps: arrays, and its own timestamp parser.
  const drizzleLike = { rowMode: 'array' as const, parsers: { [types.TIMESTAMPTZ]: (value: string) => value } };
  for (const options of [undefined, { rowMode: 'array' as const }, keepTimestamps, drizzleLike]) {
    for (const id of [1, 2, 3]) {
      const ours = await prepared.query(SELECT_BY_ID, [id], options);
      const theirs = await client.query(SELECT_BY_ID, [id], options);
      t.same(ours.rows, theirs.rows, `rows of id ${id} with ${JSON.stringify(options)}`);
      t.same(ours.fields, theirs.fields);
    }
  }
  t.same((await prepared.query(SELECT_BY_ID, [1], keepTimestamps)).rows, [
    { id: 1, name: 'one', seen_at: '2026-11-21 10:00:00+00' },
  ]);
  const yearOnly = { parsers: { [types.TIMESTAMPTZ]: (value: string) => value.slice(0, 4) } };
  t.same(
    (await prepared.query(SELECT_BY_ID, [1], yearOnly)).rows,
    [{ id: 1, name: 'one', seen_at: '2026' }],
    'other parsers for the same statement apply, not the ones merged for an earlier call',
  );
  t.same(
    (await prepared.query<{ seen_at: Date }>(SELECT_BY_ID, [1])).rows[0]?.seen_at,
    new Date('2026-11-21T10:00:00Z'),
    "without parsers of its own a query gets PGlite's",
  );
  t.same((await prepared.query('select $1::text is null as missing', [null])).rows, [{ missing: true }]);
  const shouting = { serializers: { [types.TEXT]: (value: unknown) => String(value).toUpperCase() } };
  const echo = 'select $1::text as said';
  t.same((await prepared.query(echo, ['hi'], shouting)).rows, (await client.query(echo, ['hi'], shouting)).rows);
  const written = await prepared.query('update things set name = $1 where id = $2', ['uno', 1]);
  t.equal(written.affectedRows, 1, 'a write reports the rows it touched');
});

t.test('each statement is parsed once, under one name', async (t) => {
  const client = await openClient(t);
  const prepared = withPreparedStatements(client);
  await Promise.all([1, 2, 1, 2, 1].map((id) => prepared.query(SELECT_BY_ID, [id])));
  t.equal(await preparedCount(client), 1);
  await prepared.query('select name from things order by id');
  t.equal(await preparedCount(client), 2);
});

t.test('past the limit, new statements run unprepared and still answer', async (t) => {
  const client = await openClient(t);
  const prepared = withPreparedStatements(client, 1);
  await prepared.query(SELECT_BY_ID, [1]);
  t.same((await prepared.query('select name from things where id = $1', [2])).rows, [{ name: 'two' }]);
  t.equal(await preparedCount(client), 1);
  t.same((await prepared.query(SELECT_BY_ID, [2])).rows, [{ id: 2, name: 'two', seen_at: null }]);
});

t.test('errors carry their SQLSTATE, and the session stays usable', async (t) => {
  const client = await openClient(t);
  const prepared = withPreparedStatements(client);
  await t.rejects(prepared.query('select from nowhere where'), { code: '42601' }, 'a statement that does not parse');
  await t.rejects(prepared.query('insert into things (id, name) values ($1, $2)', [1, 'again']), { code: '23505' });
  await t.rejects(prepared.query(SELECT_BY_ID, ['not a number']), { code: '22P02' }, 'a parameter of the wrong type');
  t.same((await prepared.query(SELECT_BY_ID, [2])).rows, [{ id: 2, name: 'two', seen_at: null }]);
  t.equal(await preparedCount(client), 2, 'the statement that did not parse was not kept');
});

t.test('a statement waits for a transaction in progress, and the rest of PGlite passes through', async (t) => {
  const client = await openClient(t);
  const prepared = withPreparedStatements(client);
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const transaction = prepared.transaction(async (tx) => {
    await tx.query('insert into things (id, name) values (3, $1)', ['three']);
    await held;
    await tx.rollback();
  });
  let settled = false;
  const read = prepared.query(SELECT_BY_ID, [3]).finally(() => {
    settled = true;
  });
  await sleep(50);
  t.equal(settled, false, 'the read waits while the transaction is open');
  release();
  await transaction;
  t.same((await read).rows, [], 'then sees its outcome (rolled back), never its uncommitted row');
  t.same(await prepared.exec('select 1 as one'), await client.exec('select 1 as one'));
  t.equal(prepared.closed, false);
});
