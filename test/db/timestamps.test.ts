import { eq, sql } from 'drizzle-orm';
import t from 'tap';
import { users } from '../../src/db/schema.js';
import { rfc3339 } from '../../src/db/timestamps.js';
import { RFC3339_MS } from '../helper.js';
import { openTestDatabase } from '../setup/databases.js';

const database = await openTestDatabase();
t.teardown(() => database.close());

type Executor = Pick<typeof database.db, 'execute'>;

/** The rows of a raw query, on either driver (postgres.js returns an array, PGlite `{ rows }`). */
async function rowsOf<T>(executor: Executor, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = await executor.execute(query);
  return (Array.isArray(result) ? result : (result as unknown as { rows: T[] }).rows) as T[];
}

t.test("PostgreSQL's UTC text becomes RFC 3339 with milliseconds", async (t) => {
  t.equal(rfc3339('2026-12-01 21:00:23.123+00'), '2026-12-01T21:00:23.123Z');
  t.equal(rfc3339('2026-12-01 21:00:23.12+00'), '2026-12-01T21:00:23.120Z', 'trimmed zeros come back');
  t.equal(rfc3339('2026-12-01 21:00:23+00'), '2026-12-01T21:00:23.000Z', 'a whole second');
  t.equal(rfc3339('2026-12-01 21:00:23.123456+00'), '2026-12-01T21:00:23.123Z', 'microseconds are cut to milliseconds');
});

t.test('text in another time zone or form still gives the same instant, through a Date', async (t) => {
  t.equal(rfc3339('2026-12-02 02:30:23.5+05:30'), '2026-12-01T21:00:23.500Z');
  t.equal(rfc3339('2026-12-01T21:00:23.123Z'), '2026-12-01T21:00:23.123Z');
});

t.test('the connection sends timestamps as UTC text in ISO form', async (t) => {
  const [settings] = await rowsOf<{ zone: string; style: string }>(
    database.db,
    sql`select current_setting('TimeZone') as zone, current_setting('DateStyle') as style`,
  );
  t.equal(settings?.zone, 'UTC');
  t.match(settings?.style, /^ISO/);
});

t.test('whatever the session time zone, the text names the instant the database holds', async (t) => {
  for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham']) {
    const [row] = await database.db.transaction(async (tx) => {
      await tx.execute(sql.raw(`set local TimeZone = '${zone}'`));
      return rowsOf<{ text: string; millis: string }>(
        tx,
        sql`select ts::text as text, (extract(epoch from ts) * 1000)::bigint::text as millis from (select '2026-12-01 21:00:23.12+00'::timestamptz(3) as ts) as fixed`,
      );
    });
    const presented = rfc3339(String(row?.text));
    t.match(presented, RFC3339_MS, zone);
    t.equal(presented, new Date(Number(row?.millis)).toISOString(), `${zone}: ${row?.text}`);
  }
});

t.test('a created_at column takes timestamp text in any form and reads back as RFC 3339', async (t) => {
  const [user] = await database.db
    .insert(users)
    .values({
      email: 'timestamps@example.com',
      name: 'Timestamps',
      passwordHash: 'not a hash',
      createdAt: '2026-12-02 02:30:23.5+05:30',
    })
    .returning({ id: users.id, createdAt: users.createdAt });
  t.equal(user?.createdAt, '2026-12-01T21:00:23.500Z', 'returned');
  const [read] = await database.db
    .select({ createdAt: users.createdAt })
    .from(users)
    .where(eq(users.id, user?.id ?? 0));
  t.equal(read?.createdAt, '2026-12-01T21:00:23.500Z', 'selected');
  const [stored] = await database.db
    .select({ millis: sql<string>`(extract(epoch from ${users.createdAt}) * 1000)::bigint::text` })
    .from(users)
    .where(eq(users.id, user?.id ?? 0));
  t.equal(Number(stored?.millis), Date.parse('2026-12-01T21:00:23.500Z'), 'stored as that instant');
});
