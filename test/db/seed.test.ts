/**
 * The seed (src/db/seed.ts): what it writes, read back through the repositories and the API
 * on a test database of its own.
 */
import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { foldCase, foldNullable } from '../../src/db/folding.js';
import { bucketlists, items, users } from '../../src/db/schema.js';
import { plannedRows, type SeedProgress, seedDatabase } from '../../src/db/seed.js';
import { createRepositories } from '../../src/repositories/index.js';
import { hashPassword } from '../../src/routes/v1/auth/credentials.js';
import { testConfig } from '../helper.js';
import { openTestDatabase } from '../setup/databases.js';

const PASSWORD = 'seeded password 123';
const SIZES = { users: 3, bucketlists: 4, items: 5 };

const database = await openTestDatabase();
t.teardown(() => database.close());
const { db } = database;
const repositories = createRepositories(db);
const passwordHash = await hashPassword(PASSWORD);

const progress: SeedProgress[] = [];
const summary = await seedDatabase(db, SIZES, { passwordHash, randomSeed: 42 }, (step) => progress.push(step));

/** The item scope of a bucketlist, with an active session of its owner (lists require one). */
async function listScope(ownerId: number, bucketlistId: number) {
  const sessionId = randomUUID();
  await repositories.sessions.create({
    id: sessionId,
    userId: ownerId,
    expiresAt: new Date(Date.now() + 3_600_000),
    refreshTokenHash: `seed-test-${sessionId}`,
  });
  return { userId: ownerId, bucketlistId, sessionId };
}

const countOf = async (table: typeof users | typeof bucketlists | typeof items) =>
  (await db.select({ total: count() }).from(table))[0]?.total;

t.test('the seed writes the planned numbers of users, bucketlists and items', async (t) => {
  t.strictSame(plannedRows(SIZES), { users: 3, bucketlists: 12, items: 60, total: 75 });
  t.match(summary, { users: 3, bucketlists: 12, items: 60 });
  t.equal(await countOf(users), 3);
  t.equal(await countOf(bucketlists), 12);
  t.equal(await countOf(items), 60);
});

t.test('every seeded user has the planned bucketlists, each with item_count equal to its items', async (t) => {
  const seeded = await db.select({ id: users.id }).from(users);
  for (const user of seeded) {
    const owned = await db.select().from(bucketlists).where(eq(bucketlists.ownerId, user.id)).orderBy(bucketlists.id);
    t.equal(owned.length, SIZES.bucketlists, `user ${user.id} has ${SIZES.bucketlists} bucketlists`);
    for (const bucketlist of owned) {
      const scope = await listScope(user.id, bucketlist.id);
      const listed = await repositories.items.list(scope, { page: 1, pageSize: 100, sort: 'id' });
      t.equal(listed.total, SIZES.items);
      t.equal(bucketlist.itemCount, listed.total, `bucketlist ${bucketlist.id} counts its items`);
      t.ok(
        listed.rows.every((item) => item.bucketlistId === bucketlist.id),
        'its items belong to it',
      );
      const owners = await db
        .selectDistinct({ ownerId: items.ownerId })
        .from(items)
        .where(eq(items.bucketlistId, bucketlist.id));
      t.strictSame(owners, [{ ownerId: user.id }], 'its items belong to its owner');
    }
  }
});

t.test('the progress reports climb to the total, ending at it', async (t) => {
  t.ok(progress.length >= 3, 'at least one report per table');
  const dones = progress.map((step) => step.done);
  t.strictSame(
    dones,
    [...dones].sort((a, b) => a - b),
    'never going back',
  );
  t.strictSame(progress.at(-1), { phase: 'items', done: 75, total: 75 });
  t.strictSame([...new Set(progress.map((step) => step.phase))], ['users', 'bucketlists', 'items']);
});

t.test('the folded search columns match what the repositories compute', async (t) => {
  const rows = await db.select().from(bucketlists);
  t.ok(
    rows.every((row) => row.nameFolded === foldCase(row.name)),
    'bucketlist names',
  );
  t.ok(
    rows.every((row) => row.descriptionFolded === foldNullable(row.description)),
    'descriptions',
  );
  const itemRows = await db.select().from(items);
  t.ok(
    itemRows.every((row) => row.nameFolded === foldCase(row.name)),
    'item names',
  );
});

t.test('seeded rows are searchable case-insensitively', async (t) => {
  const [item] = await db.select().from(items).limit(1);
  if (!item) throw new Error('no seeded item');
  const word = item.name.split(' ')[0] ?? item.name;
  const scope = await listScope(item.ownerId, item.bucketlistId);
  const found = await repositories.items.list(scope, { page: 1, pageSize: 100, sort: 'id', q: word.toUpperCase() });
  t.ok(
    found.rows.some((row) => row.id === item.id),
    `${JSON.stringify(word.toUpperCase())} finds ${JSON.stringify(item.name)}`,
  );
});

t.test('timestamps are plausible: created in the past, updated no earlier than created', async (t) => {
  const now = Date.now();
  const rows = [...(await db.select().from(bucketlists)), ...(await db.select().from(items))];
  t.ok(
    rows.every((row) => Date.parse(row.createdAt) <= Date.parse(row.updatedAt) && Date.parse(row.updatedAt) <= now),
    'created_at ≤ updated_at ≤ now',
  );
  const itemRows = await db.select().from(items);
  const bucketlistRows = await db.select().from(bucketlists);
  const createdOf = new Map(bucketlistRows.map((row) => [row.id, Date.parse(row.createdAt)]));
  t.ok(
    itemRows.every((row) => Date.parse(row.createdAt) >= (createdOf.get(row.bucketlistId) ?? Number.POSITIVE_INFINITY)),
    'items are created after their bucketlist',
  );
});

t.test('a seeded user logs in with the shared password and sees its data through the API', async (t) => {
  const app = await buildApp(testConfig(), { database, logger: false });
  t.teardown(() => app.close());
  const login = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: summary.firstEmail, password: PASSWORD },
  });
  t.equal(login.statusCode, 200);
  const headers = { authorization: `Bearer ${login.json<{ access_token: string }>().access_token}` };
  const list = await app.inject({ method: 'GET', url: '/v1/bucketlists?page_size=100', headers });
  t.equal(list.statusCode, 200);
  const page = list.json<{ items: { id: number; item_count: number }[]; total: number }>();
  t.equal(page.total, SIZES.bucketlists);
  t.ok(
    page.items.every((bucketlist) => bucketlist.item_count === SIZES.items),
    'every bucketlist shows its item_count',
  );
  const first = page.items[0];
  if (!first) throw new Error('no bucketlist');
  const itemList = await app.inject({ method: 'GET', url: `/v1/bucketlists/${first.id}/items`, headers });
  t.equal(itemList.json<{ total: number }>().total, SIZES.items);
});

t.test('the seeded emails are valid, lower-case and unique', async (t) => {
  const rows = await db.select({ email: users.email }).from(users);
  t.ok(
    rows.every(({ email }) => /^[a-z0-9.]+@example\.com$/.test(email)),
    rows.map((row) => row.email).join(', '),
  );
  t.equal(new Set(rows.map((row) => row.email)).size, rows.length);
  const [first] = await db.select().from(users).where(eq(users.email, summary.firstEmail));
  t.ok(first, 'the reported email is a seeded user');
});

t.test('seeding the same database again adds rows instead of failing', async (t) => {
  const again = await seedDatabase(db, { users: 2, bucketlists: 1, items: 0 }, { passwordHash });
  t.not(again.firstEmail, summary.firstEmail);
  t.equal(await countOf(users), 5);
  t.equal(await countOf(bucketlists), 14);
  t.equal(await countOf(items), 60);
  const created = await repositories.users.findByEmail(again.firstEmail);
  if (!created) throw new Error('the new user is missing');
  const owned = await db.select().from(bucketlists).where(eq(bucketlists.ownerId, created.id));
  t.strictSame(
    owned.map((row) => row.itemCount),
    [0],
  );
});

t.test('sizes that are negative or fractional, or no users, are refused before writing', async (t) => {
  for (const sizes of [
    { users: 0, bucketlists: 1, items: 1 },
    { users: 1, bucketlists: -1, items: 1 },
    { users: 1, bucketlists: 1, items: 1.5 },
  ]) {
    await t.rejects(seedDatabase(db, sizes, { passwordHash }), RangeError);
  }
  t.equal(await countOf(users), 5, 'nothing written');
});

t.test('a failed seed leaves nothing behind', async (t) => {
  const before = await countOf(users);
  await t.rejects(
    seedDatabase(db, { users: 2, bucketlists: 1, items: 1 }, { passwordHash }, (step) => {
      if (step.phase === 'bucketlists') throw new Error('interrupted');
    }),
    { message: 'interrupted' },
  );
  t.equal(await countOf(users), before, 'the transaction rolled back');
});
