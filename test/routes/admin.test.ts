/**
 * Account administration: admins list, read, deactivate, reactivate and delete accounts; anyone
 * else gets 403. A deactivated account cannot log in or refresh, and its sessions end at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { eq } from 'drizzle-orm';
import { bucketlists, items, memberships, users } from '../../src/db/schema.js';
import { buildApp } from '../../src/app.js';
import { watchConformance } from '../conformance.js';
import {
  createBucketlist,
  createItem,
  expectProblem,
  MISSING_ID,
  requester,
  signUp,
  TEST_PRESSURE,
  TEST_SECRET,
  testConfig,
} from '../helper.js';
import { openTestDatabase } from '../setup/databases.js';

const database = await openTestDatabase();
const app = await buildApp(testConfig(), { database, logger: false, pressure: TEST_PRESSURE });
watchConformance(app, t);
t.teardown(async () => {
  await app.close();
  await database.close();
});
await app.ready();
const send = requester(app);
const admin = await signUp(app, { name: 'Ada Admin' });
await app.repositories.users.promote(admin.email);

t.test('a non-admin gets 403 forbidden on every admin route, and no token 401', async (t) => {
  const user = await signUp(app);
  const other = await signUp(app);
  for (const [method, url] of [
    ['GET', '/v1/admin/users'],
    ['GET', `/v1/admin/users/${other.id}`],
    ['POST', `/v1/admin/users/${other.id}/deactivate`],
    ['POST', `/v1/admin/users/${other.id}/reactivate`],
    ['DELETE', `/v1/admin/users/${other.id}`],
  ] as const) {
    expectProblem(t, await send(method, url, user.headers), 403, 'forbidden');
    expectProblem(t, await send(method, url, {}), 401, 'unauthorized');
  }
  t.equal((await send('GET', '/v1/users/me', other.headers)).statusCode, 200, 'nothing happened to the other user');
});

t.test('an admin lists users with search, pages and Link headers, and reads one', async (t) => {
  const zoe = await signUp(app, { name: 'Zoë Ünicode' });
  const listed = await send('GET', '/v1/admin/users?page_size=1&sort=id', admin.headers);
  t.equal(listed.statusCode, 200);
  t.match(listed.headers.link, /rel="next"/);
  const first = listed.json() as { items: { id: number; role: string; active: boolean }[]; total: number };
  t.ok(first.total >= 2);
  const byName = await send('GET', `/v1/admin/users?q=${encodeURIComponent('ZOË ü')}`, admin.headers);
  t.match(byName.json(), {
    total: 1,
    items: [{ id: zoe.id, email: zoe.email, role: 'user', active: true, deactivated_at: null }],
  });
  const byEmail = await send(
    'GET',
    `/v1/admin/users?q=${encodeURIComponent(admin.email.toUpperCase())}`,
    admin.headers,
  );
  t.match(byEmail.json(), { total: 1, items: [{ id: admin.id, role: 'admin' }] });
  t.match((await send('GET', '/v1/admin/users?q=%00', admin.headers)).json(), { total: 0, items: [] });
  t.match((await send('GET', '/v1/admin/users?page=1000', admin.headers)).json(), { items: [] });
  const one = await send('GET', `/v1/admin/users/${zoe.id}`, admin.headers);
  t.match(one.json(), { id: zoe.id, name: 'Zoë Ünicode' });
  expectProblem(t, await send('GET', `/v1/admin/users/${MISSING_ID}`, admin.headers), 404, 'not_found');
});

t.test(
  'deactivation ends every session at once, refuses login and refresh; reactivation allows login again',
  async (t) => {
    const user = await signUp(app);
    const second = await send('POST', '/v1/auth/login', {}, { email: user.email, password: user.password });
    const secondHeaders = { authorization: `Bearer ${second.json().access_token}` };
    const deactivated = await send('POST', `/v1/admin/users/${user.id}/deactivate`, admin.headers);
    t.equal(deactivated.statusCode, 200);
    t.match(deactivated.json(), { id: user.id, active: false });
    t.type(deactivated.json().deactivated_at, 'string');
    const again = await send('POST', `/v1/admin/users/${user.id}/deactivate`, admin.headers);
    t.equal(again.json().deactivated_at, deactivated.json().deactivated_at, 'deactivating twice changes nothing');
    for (const headers of [user.headers, secondHeaders]) {
      expectProblem(t, await send('GET', '/v1/users/me', headers), 401, 'unauthorized');
      expectProblem(t, await send('GET', '/v1/bucketlists', headers), 401, 'unauthorized');
    }
    expectProblem(
      t,
      await send('POST', '/v1/auth/refresh', {}, { refresh_token: user.tokens.refresh_token }),
      401,
      'unauthorized',
    );
    const login = await send('POST', '/v1/auth/login', {}, { email: user.email, password: user.password });
    expectProblem(t, login, 401, 'unauthorized');
    t.match(login.json().detail, /deactivated/);
    const wrong = await send('POST', '/v1/auth/login', {}, { email: user.email, password: 'not the password' });
    t.notMatch(wrong.json().detail, /deactivated/, 'only the password holder learns of the deactivation');

    const reactivated = await send('POST', `/v1/admin/users/${user.id}/reactivate`, admin.headers);
    t.match(reactivated.json(), { active: true, deactivated_at: null });
    expectProblem(t, await send('GET', '/v1/users/me', user.headers), 401, 'unauthorized');
    const back = await send('POST', '/v1/auth/login', {}, { email: user.email, password: user.password });
    t.equal(back.statusCode, 200);
    expectProblem(t, await send('POST', `/v1/admin/users/${MISSING_ID}/deactivate`, admin.headers), 404, 'not_found');
    expectProblem(t, await send('POST', `/v1/admin/users/${MISSING_ID}/reactivate`, admin.headers), 404, 'not_found');
  },
);

t.test('an admin cannot deactivate or delete themselves', async (t) => {
  expectProblem(t, await send('POST', `/v1/admin/users/${admin.id}/deactivate`, admin.headers), 409, 'conflict');
  expectProblem(t, await send('DELETE', `/v1/admin/users/${admin.id}`, admin.headers), 409, 'conflict');
});

t.test('deleting a user removes their bucketlists, items and memberships', async (t) => {
  const user = await signUp(app);
  const friend = await signUp(app);
  const mine = await createBucketlist(app, user.headers);
  await createItem(app, user.headers, mine.id);
  const theirs = await createBucketlist(app, friend.headers);
  await send('POST', `/v1/bucketlists/${theirs.id}/members`, friend.headers, { email: user.email, role: 'editor' });
  await send('POST', `/v1/bucketlists/${mine.id}/members`, user.headers, { email: friend.email, role: 'viewer' });
  t.equal((await send('DELETE', `/v1/admin/users/${user.id}`, admin.headers)).statusCode, 204);
  const { db } = database;
  t.strictSame(await db.select().from(users).where(eq(users.id, user.id)), []);
  t.strictSame(await db.select().from(bucketlists).where(eq(bucketlists.ownerId, user.id)), []);
  t.strictSame(await db.select().from(items).where(eq(items.ownerId, user.id)), []);
  t.strictSame(await db.select().from(memberships).where(eq(memberships.userId, user.id)), []);
  t.strictSame(await db.select().from(memberships).where(eq(memberships.ownerId, user.id)), []);
  expectProblem(t, await send('GET', '/v1/users/me', user.headers), 401, 'unauthorized');
  expectProblem(t, await send('DELETE', `/v1/admin/users/${user.id}`, admin.headers), 404, 'not_found');
});

t.test('admins do not read other users\u2019 bucketlists through the normal routes', async (t) => {
  const user = await signUp(app);
  const theirs = await createBucketlist(app, user.headers);
  expectProblem(t, await send('GET', `/v1/bucketlists/${theirs.id}`, admin.headers), 404, 'not_found');
  t.match((await send('GET', '/v1/bucketlists?scope=all', admin.headers)).json(), { total: 0 });
});

t.test('GET /v1/users/me carries the role under API version 2026-12-03, and not under the default', async (t) => {
  const current = await send('GET', '/v1/users/me', { ...admin.headers, 'api-version': '2026-12-03' });
  t.match(current.json(), { id: admin.id, role: 'admin' });
  const original = (await send('GET', '/v1/users/me', admin.headers)).json() as Record<string, unknown>;
  t.equal(original.id, admin.id);
  t.notOk('role' in original, 'the default version has no role');
});

t.test('npm run user:promote -- EMAIL makes the account an admin', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promote-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // On PostgreSQL, the test's own database; embedded, a data folder of its own (PGlite opens a
  // folder in one process at a time).
  const dataDir = join(dir, 'pglite');
  // No coverage from the child: it runs the same sources through another loader, whose maps would
  // count their functions and branches a second time, uncovered.
  const env = {
    ...process.env,
    _TAPJS_PROCESSINFO_COVERAGE_: '0',
    JWT_SECRET: TEST_SECRET,
    DATA_DIR: dataDir,
    DATABASE_URL: database.url ?? '',
  };
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/scripts/promote-user.ts', ...args], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
  const usage = run();
  t.equal(usage.status, 2);
  t.match(usage.stderr, /usage/);
  const unknown = run('nobody@example.com');
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /no account has the email nobody@example.com/);

  let email: string;
  if (database.url) {
    email = (await signUp(app)).email;
  } else {
    const own = await buildApp(testConfig({ DATA_DIR: dataDir }), { logger: false, pressure: TEST_PRESSURE });
    email = (await signUp(own)).email;
    await own.close();
  }
  const promoted = run(email.toUpperCase());
  t.equal(promoted.status, 0, promoted.stderr);
  t.match(promoted.stdout, new RegExp(`${email} \\(id \\d+\\) is an admin`));
  if (database.url) {
    const [row] = await database.db.select({ role: users.role }).from(users).where(eq(users.email, email));
    t.equal(row?.role, 'admin');
  }
});
