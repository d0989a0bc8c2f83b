import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { connectPostgres, type DatabaseHandle, openDatabase, transactionPoolSize } from '../../src/db/client.js';
import { LOCK_FILE } from '../../src/db/data-dir-lock.js';
import { EMBEDDED_SHARED_BUFFERS, migrateEmbedded, startPGlite, wrapEmbedded } from '../../src/db/embedded.js';
import { findMigrationsFolder, migratePostgres, migrationsFolder } from '../../src/db/migrate.js';
import { users } from '../../src/db/schema.js';
import { isDatabaseUnavailable } from '../../src/plugins/errors.js';
import type { ProblemBody } from '../../src/schemas/common.js';
import { TEST_PRESSURE, testConfig } from '../helper.js';
import { serverUrl } from '../setup/databases.js';

const NO_SERVER = 'TEST_DATABASE_URL is not set: no PostgreSQL server to test the postgres.js driver against';

/** How many migrations the committed history holds. */
const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
  entries: { tag: string }[];
};
const MIGRATION_COUNT = journal.entries.length;

/** How many migrations the database records as applied. */
async function appliedMigrations(handle: DatabaseHandle): Promise<number> {
  const result = await handle.db.execute<{ count: string | number }>(
    sql`select count(*) as count from drizzle.__drizzle_migrations`,
  );
  const rows = Array.isArray(result) ? result : (result as { rows: { count: string | number }[] }).rows;
  return Number(rows[0]?.count);
}

/** The tables of the public schema, sorted. */
async function tablesOf(handle: DatabaseHandle): Promise<string[]> {
  const result = await handle.db.execute<{ table_name: string }>(
    sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
  );
  const rows = Array.isArray(result) ? result : (result as { rows: { table_name: string }[] }).rows;
  return rows.map((row) => row.table_name);
}

const EXPECTED_TABLES = [
  'bucketlists',
  'export_chunks',
  'exports',
  'idempotency_keys',
  'item_count_stripes',
  'items',
  'memberships',
  'refresh_tokens',
  'sessions',
  'users',
];

t.test(
  'the migrations are found upward from wherever the code runs (src/db, dist/db, the bundle in dist/)',
  async (t) => {
    const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
    t.equal(migrationsFolder, join(root, 'drizzle'));
    for (const start of [join(root, 'src', 'db'), join(root, 'dist'), root]) {
      t.equal(findMigrationsFolder(start), join(root, 'drizzle'), `from ${start}`);
    }
    const elsewhere = mkdtempSync(join(tmpdir(), 'bucketlist-no-migrations-'));
    t.teardown(() => rmSync(elsewhere, { recursive: true, force: true }));
    t.throws(() => findMigrationsFolder(elsewhere), /no drizzle\/meta\/_journal\.json at or above/);
  },
);

/** A new, empty database on the test server; dropped when the test ends. */
async function createServerDatabase(t: Test): Promise<string> {
  const name = `bucketlist_dbtest_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl as string, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  t.teardown(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  });
  const url = new URL(serverUrl as string);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A handle on a database nobody can reach (nothing listens on port 1), for the failure paths. */
const unreachableHandle = () =>
  openDatabase({ kind: 'postgres', url: 'postgres://nobody@127.0.0.1:1/none', poolSize: 1 }, { migrate: false });

t.test('the embedded database opens in a new folder, migrates, answers ping and closes', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bucketlist-db-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));

  const handle = await openDatabase({ kind: 'pglite', dataDir }, { migrate: true });
  t.equal(handle.kind, 'pglite');
  await t.resolves(handle.ping());
  t.same(await tablesOf(handle), EXPECTED_TABLES);
  t.equal(await appliedMigrations(handle), MIGRATION_COUNT);
  await handle.db.insert(users).values({ email: 'kept@example.com', name: 'Kept', passwordHash: 'x' });
  await handle.close();
  await t.rejects(handle.ping(), 'a closed database no longer answers');

  t.test('reopening it keeps the data and applies no migration twice', async (t) => {
    const reopened = await openDatabase({ kind: 'pglite', dataDir }, { migrate: true });
    t.teardown(() => reopened.close());
    t.equal(await appliedMigrations(reopened), MIGRATION_COUNT);
    const rows = await reopened.db.select({ email: users.email }).from(users);
    t.same(rows, [{ email: 'kept@example.com' }]);
  });

  t.test('it runs with the small buffer pool, not the 128 MB that PGlite would zero-fill', async (t) => {
    const reopened = await openDatabase({ kind: 'pglite', dataDir }, { migrate: false });
    t.teardown(() => reopened.close());
    const result = await reopened.db.execute<{ shared_buffers: string }>(sql`show shared_buffers`);
    const rows = (result as unknown as { rows: { shared_buffers: string }[] }).rows;
    t.equal(rows[0]?.shared_buffers, EMBEDDED_SHARED_BUFFERS);
  });

  t.test('migrating it again by hand is a no-op', async (t) => {
    const client = await startPGlite(dataDir);
    t.teardown(() => client.close());
    await migrateEmbedded(client);
    await migrateEmbedded(client);
    const { rows } = await client.query<{ count: number }>(
      'select count(*)::int as count from drizzle.__drizzle_migrations',
    );
    t.equal(rows[0]?.count, MIGRATION_COUNT);
  });
});

t.test(
  'the postgres driver opens, migrates, answers ping and closes',
  { skip: serverUrl ? false : NO_SERVER },
  async (t) => {
    const url = await createServerDatabase(t);
    const handle = await openDatabase({ kind: 'postgres', url, poolSize: 2 }, { migrate: true });
    t.equal(handle.kind, 'postgres');
    await t.resolves(handle.ping());
    t.same(await tablesOf(handle), EXPECTED_TABLES);
    t.equal(await appliedMigrations(handle), MIGRATION_COUNT);
    await handle.close();
    await t.rejects(handle.ping(), 'a closed pool no longer answers');
  },
);

t.test('a data folder PGlite cannot start in is refused, and left unlocked', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bucketlist-db-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  // A cluster of a PostgreSQL version PGlite is not.
  writeFileSync(join(dataDir, 'PG_VERSION'), '99\n');
  await t.rejects(openDatabase({ kind: 'pglite', dataDir }, { migrate: true }), {
    message: /PGlite failed to initialize/,
  });
  t.same(readdirSync(dataDir), ['PG_VERSION'], `no ${LOCK_FILE} left behind: another start may claim the folder`);
});

t.test('embedded: a statement text that fails inside its transaction is rolled back', async (t) => {
  const handle = wrapEmbedded(await startPGlite());
  t.teardown(() => handle.close());
  await t.rejects(handle.execute('begin; create table half_done (x int); select 1 / 0; commit'), {
    message: 'division by zero',
  });
  // Had the transaction stayed open, this would fail as "current transaction is aborted".
  t.same((await handle.execute("select to_regclass('half_done') as half_done")).rows, [{ half_done: null }]);
  t.same((await handle.execute('-- no statement')).rows, [], 'a text without a statement has no rows');
});

t.test(
  'a transaction never queues behind a full pipeline on PostgreSQL (postgres.js UNSAFE_TRANSACTION)',
  { skip: serverUrl ? false : NO_SERVER },
  async (t) => {
    const handle = connectPostgres(await createServerDatabase(t), 2);
    t.teardown(() => handle.close());
    const slow = () => handle.db.execute(sql`select pg_sleep(0.2)`);
    const quick = () => handle.db.execute(sql`select 1`);
    await Promise.all([quick(), quick(), slow(), slow()]);
    // Two slow statements hold both statement connections and a quick one waits behind each: the
    // pipelines are full. A BEGIN sent after them on the same pool was never reserved and failed.
    const busy = Promise.all([slow(), slow(), quick(), quick()]);
    await nextTurn();
    const inTransaction = await handle.db.transaction((tx) => tx.execute(sql`select 2 as two`));
    t.same(Array.from(inTransaction as Iterable<unknown>), [{ two: 2 }], 'postgres.js rows');
    await busy;
    t.equal(transactionPoolSize(10), 2, 'a fifth of the statement pool serves transactions');
    t.equal(transactionPoolSize(1), 1, 'and at least one connection');
  },
);

t.test('PostgreSQL migrations applied twice are a no-op', { skip: serverUrl ? false : NO_SERVER }, async (t) => {
  const url = await createServerDatabase(t);
  await migratePostgres(url);
  await t.resolves(migratePostgres(url));
  const handle = await openDatabase({ kind: 'postgres', url, poolSize: 1 }, { migrate: true });
  t.teardown(() => handle.close());
  t.equal(await appliedMigrations(handle), MIGRATION_COUNT);
  t.same(await tablesOf(handle), EXPECTED_TABLES);
});

t.test(
  'two migrations started together on a fresh PostgreSQL database both succeed (advisory lock)',
  { skip: serverUrl ? false : NO_SERVER },
  async (t) => {
    const url = await createServerDatabase(t);
    const results = await Promise.allSettled([migratePostgres(url), migratePostgres(url), migratePostgres(url)]);
    t.same(
      results.map((result) => result.status),
      ['fulfilled', 'fulfilled', 'fulfilled'],
    );
    const handle = await openDatabase({ kind: 'postgres', url, poolSize: 1 }, { migrate: false });
    t.teardown(() => handle.close());
    t.equal(await appliedMigrations(handle), MIGRATION_COUNT, 'each migration recorded once');
    t.same(await tablesOf(handle), EXPECTED_TABLES);
  },
);

t.test(
  'an app that opened its own PostgreSQL pool closes it with the app',
  { skip: serverUrl ? false : NO_SERVER },
  async (t) => {
    const url = await createServerDatabase(t);
    const app = await buildApp(testConfig({ DATABASE_URL: url }), { logger: false, pressure: TEST_PRESSURE });
    await app.ready();
    t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'migrated and ready');
    await app.close();
    const admin = postgres(serverUrl as string, { max: 1, onnotice: () => {} });
    t.teardown(() => admin.end());
    const name = new URL(url).pathname.slice(1);
    const [row] = await admin<{ count: number }[]>`
    select count(*)::int as count from pg_stat_activity where datname = ${name}`;
    t.equal(row?.count, 0, 'no connection left open');
  },
);

t.test('the postgres driver fails fast, as "unavailable", when the server cannot be reached', async (t) => {
  const handle = await unreachableHandle();
  t.teardown(() => handle.close());
  const started = Date.now();
  const error = await handle.ping().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  t.ok(Date.now() - started < 5000, 'within the connect timeout');
  t.match(error, { cause: { code: 'ECONNREFUSED' } }, 'the driver error is wrapped by Drizzle');
  t.equal(isDatabaseUnavailable(error), true, 'the error handler will answer 503');
});

t.test("the job queue's statements fail as unavailable, too, when the server cannot be reached", async (t) => {
  const handle = await unreachableHandle();
  t.teardown(() => handle.close());
  // With parameters one statement; without, a text that may hold several, on a reserved connection.
  for (const [text, values] of [
    ['select $1::int', [1]],
    ['begin; select 1; commit', undefined],
  ] as const) {
    const error = await handle.execute(text, values ? [...values] : undefined).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    t.match(error, { code: 'ECONNREFUSED' }, text);
    t.equal(isDatabaseUnavailable(error), true, `${text}: the error handler will answer 503`);
  }
});

t.test('readyz answers a 503 problem when the database ping fails', async (t) => {
  const base = await unreachableHandle();
  t.teardown(() => base.close());
  const failing: DatabaseHandle = { ...base, ping: () => Promise.reject(new Error('connection lost')) };
  const app = await buildApp(testConfig(), { database: failing, logger: false, pressure: TEST_PRESSURE });
  t.teardown(() => app.close());
  await app.ready();

  const response = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(response.statusCode, 503);
  t.match(response.headers['content-type'], /^application\/problem\+json/);
  const body = response.json<ProblemBody>();
  t.equal(body.code, 'service_unavailable');
  t.equal(body.status, 503);
  t.notMatch(body.detail, /connection lost/, 'the internal error stays internal');
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'liveness is unaffected');
});

t.test('readyz answers 503 within its time bound when the database ping hangs', async (t) => {
  const base = await unreachableHandle();
  t.teardown(() => base.close());
  const hanging: DatabaseHandle = { ...base, ping: () => new Promise<void>(() => {}) };
  const app = await buildApp(testConfig(), { database: hanging, logger: false, pressure: TEST_PRESSURE });
  t.teardown(() => app.close());
  await app.ready();

  const started = Date.now();
  const response = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(response.statusCode, 503);
  t.equal(response.json<ProblemBody>().code, 'service_unavailable');
  t.ok(Date.now() - started < 5000, 'answered without waiting for the database');
});

t.test('an app does not close a database handle it was given', async (t) => {
  let closed = false;
  const base = await unreachableHandle();
  t.teardown(() => base.close());
  const given: DatabaseHandle = {
    ...base,
    close: async () => {
      closed = true;
    },
  };
  const app = await buildApp(testConfig(), { database: given, logger: false, pressure: TEST_PRESSURE });
  await app.ready();
  await app.close();
  t.equal(closed, false);
});
