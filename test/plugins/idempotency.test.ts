import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { idempotencyKeys } from '../../src/db/schema.js';
import { build, buildWithDatabase, createBucketlist, expectProblem, signUp } from '../helper.js';

type App = Awaited<ReturnType<typeof build>>;

const createWithKey = (app: App, headers: Record<string, string>, key: string, payload: object) =>
  app.inject({
    method: 'POST',
    url: '/v1/bucketlists',
    headers: { ...headers, 'idempotency-key': key },
    payload,
  });

const listTotal = async (app: App, headers: Record<string, string>) =>
  (await app.inject({ method: 'GET', url: '/v1/bucketlists', headers })).json<{ total: number }>().total;

t.test('a repeat with the same key and body replays the first response without creating again', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  const first = await createWithKey(app, user.headers, 'key-1', { name: 'Travel' });
  t.equal(first.statusCode, 201);
  t.notOk(first.headers['idempotent-replayed'], 'the first response is not a replay');

  const again = await createWithKey(app, user.headers, 'key-1', { name: 'Travel' });
  t.equal(again.statusCode, 201);
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal(again.body, first.body, 'the same body');
  t.equal(again.headers.location, first.headers.location);
  t.equal(again.headers.etag, first.headers.etag);
  t.match(again.headers['content-type'], /^application\/json/);
  t.not(again.headers['x-request-id'], first.headers['x-request-id'], 'its own request id');
  t.equal(await listTotal(app, user.headers), 1, 'one bucketlist was created');
});

t.test('the same key with a different body is a 409 idempotency_key_reused and runs nothing', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  t.equal((await createWithKey(app, user.headers, 'key-2', { name: 'Travel' })).statusCode, 201);
  expectProblem(t, await createWithKey(app, user.headers, 'key-2', { name: 'Food' }), 409, 'idempotency_key_reused');
  const otherPath = await app.inject({
    method: 'POST',
    url: `/v1/bucketlists/${(await createBucketlist(app, user.headers)).id}/items`,
    headers: { ...user.headers, 'idempotency-key': 'key-2' },
    payload: { name: 'Travel' },
  });
  expectProblem(t, otherPath, 409, 'idempotency_key_reused');
  t.equal(await listTotal(app, user.headers), 2);
});

t.test('keys are per user: another user with the same key runs its own request', async (t) => {
  const app = await build(t);
  const [alice, bob] = [await signUp(app), await signUp(app)];
  const mine = await createWithKey(app, alice.headers, 'shared-key', { name: 'Travel' });
  const theirs = await createWithKey(app, bob.headers, 'shared-key', { name: 'Travel' });
  t.equal(theirs.statusCode, 201);
  t.notOk(theirs.headers['idempotent-replayed']);
  t.not(theirs.json().id, mine.json().id);
});

t.test('concurrent requests with one key: one runs, the others are refused or replayed', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  const responses = await Promise.all(
    Array.from({ length: 5 }, () => createWithKey(app, user.headers, 'racing-key', { name: 'Travel' })),
  );
  const ran = responses.filter((response) => response.statusCode === 201 && !response.headers['idempotent-replayed']);
  t.equal(ran.length, 1, 'exactly one ran');
  for (const response of responses) {
    if (response === ran[0]) continue;
    if (response.statusCode === 409) {
      t.equal(response.json().code, 'idempotency_key_in_use');
      t.equal(response.headers['retry-after'], '1');
    } else t.equal(response.headers['idempotent-replayed'], 'true');
  }
  t.equal(await listTotal(app, user.headers), 1);
});

t.test('a key whose first request is still running is a 409 idempotency_key_in_use', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  const body = { name: 'Travel' };
  // The claim the first request would hold while it runs.
  const fingerprint = createHash('sha256')
    .update(`POST /v1/bucketlists\n${JSON.stringify(body)}`)
    .digest('base64url');
  const times = { ttlSeconds: 86400, abandonedAfterSeconds: 60 };
  t.same(await app.repositories.idempotency.claim(user.id, 'running', fingerprint, times), { outcome: 'claimed' });
  const refused = await createWithKey(app, user.headers, 'running', body);
  expectProblem(t, refused, 409, 'idempotency_key_in_use');
  t.equal(await listTotal(app, user.headers), 0);
});

t.test('a request refused by validation claims no key', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  expectProblem(t, await createWithKey(app, user.headers, 'key-3', { name: '' }), 400, 'validation_error');
  t.equal((await createWithKey(app, user.headers, 'key-3', { name: 'Travel' })).statusCode, 201);
});

t.test('a key of more than 255 characters or with spaces is a 400', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  expectProblem(t, await createWithKey(app, user.headers, 'k'.repeat(256), { name: 'x' }), 400, 'validation_error');
  expectProblem(t, await createWithKey(app, user.headers, 'a key', { name: 'x' }), 400, 'validation_error');
});

t.test('a 4xx the route answers is stored and replayed too', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  const missing = () =>
    app.inject({
      method: 'POST',
      url: '/v1/bucketlists/2147483647/items',
      headers: { ...user.headers, 'idempotency-key': 'key-4' },
      payload: { name: 'x' },
    });
  const first = await missing();
  expectProblem(t, first, 404, 'not_found');
  const replayed = await missing();
  t.equal(replayed.statusCode, 404);
  t.match(replayed.headers['content-type'], /^application\/problem\+json/);
  t.equal(replayed.headers['idempotent-replayed'], 'true');
  // The very same problem: its instance names the request that met it, the first one.
  t.equal(replayed.body, first.body);
  t.equal(replayed.json().instance, first.headers['x-request-id']);
});

t.test('a 5xx frees the key, so the retry runs', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  const { bucketlists } = app.repositories;
  const create = bucketlists.create;
  bucketlists.create = async () => {
    throw new Error('injected failure');
  };
  const failed = await createWithKey(app, user.headers, 'key-5', { name: 'Travel' });
  bucketlists.create = create;
  expectProblem(t, failed, 500, 'internal_error');
  const retried = await createWithKey(app, user.headers, 'key-5', { name: 'Travel' });
  t.equal(retried.statusCode, 201);
  t.notOk(retried.headers['idempotent-replayed']);
});

t.test('when the response cannot be stored it is still sent', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  const keys = app.repositories.idempotency;
  const complete = keys.complete;
  keys.complete = async () => {
    throw new Error('injected failure');
  };
  t.teardown(() => {
    keys.complete = complete;
  });
  t.equal((await createWithKey(app, user.headers, 'key-6', { name: 'Travel' })).statusCode, 201);
});

t.test('an expired key, or an abandoned claim, may be used again; the purge deletes expired keys', async (t) => {
  const { app, database } = await buildWithDatabase(t, { env: { IDEMPOTENCY_KEY_TTL: '3600' } });
  const user = await signUp(app);
  t.equal((await createWithKey(app, user.headers, 'old', { name: 'Travel' })).statusCode, 201);
  await database.db.execute(sql`update ${idempotencyKeys} set created_at = now() - interval '2 hours'`);
  const reused = await createWithKey(app, user.headers, 'old', { name: 'Other' });
  t.equal(reused.statusCode, 201, 'expired: a new request');
  t.equal(reused.json().name, 'Other');

  const times = { ttlSeconds: 3600, abandonedAfterSeconds: 60 };
  t.same(await app.repositories.idempotency.claim(user.id, 'dead', 'fingerprint', times), { outcome: 'claimed' });
  await database.db.execute(
    sql`update ${idempotencyKeys} set created_at = now() - interval '2 minutes' where key = 'dead'`,
  );
  t.same(await app.repositories.idempotency.claim(user.id, 'dead', 'other', times), { outcome: 'claimed' });

  await database.db.execute(
    sql`update ${idempotencyKeys} set created_at = now() - interval '2 hours' where key = 'old'`,
  );
  t.equal(await app.repositories.idempotency.purgeExpired(3600), 1);
  const left = await database.db.select({ key: idempotencyKeys.key }).from(idempotencyKeys);
  t.same(left, [{ key: 'dead' }]);
});

t.test('register, login and refresh ignore the header; logout takes it', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  const key = { 'idempotency-key': 'auth-key' };
  const login = () =>
    app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: key,
      payload: { email: user.email, password: user.password },
    });
  const [first, second] = [await login(), await login()];
  t.equal(second.statusCode, 200);
  t.notOk(second.headers['idempotent-replayed']);
  t.not(second.json().refresh_token, first.json().refresh_token, 'two sessions');

  const logout = await app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { ...user.headers, ...key } });
  t.equal(logout.statusCode, 204);
  // The session has ended: the replay is not served to it.
  const again = await app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { ...user.headers, ...key } });
  expectProblem(t, again, 401, 'unauthorized');
});

t.test('a replay needs an active session', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  t.equal((await createWithKey(app, user.headers, 'key-7', { name: 'Travel' })).statusCode, 201);
  await app.inject({ method: 'POST', url: '/v1/auth/logout', headers: user.headers });
  expectProblem(t, await createWithKey(app, user.headers, 'key-7', { name: 'Travel' }), 401, 'unauthorized');
});
