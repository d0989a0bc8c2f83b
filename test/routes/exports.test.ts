/**
 * Data exports through the real job queue (pg-boss on the test's own database: PGlite in the
 * embedded run, PostgreSQL with TEST_DATABASE_URL): the request, its status, the download as JSON
 * and CSV, ownership, expiry, the one-at-a-time rule, retries after a real database fault, and
 * the maintenance job.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { hashPassword } from '../../src/routes/v1/auth/credentials.js';
import { seedDatabase } from '../../src/db/seed.js';
import { runExport } from '../../src/jobs/export.js';
import { createQueue, QUEUES } from '../../src/jobs/queue.js';
import { type App } from '../../src/app.js';
import { build, createBucketlist, createItem, expectProblem, MISSING_ID, RFC3339_MS, signUp } from '../helper.js';

const FAST_JOBS = { JOB_POLL_INTERVAL: '0.5' };

interface ExportBody {
  id: number;
  status: string;
  progress: number;
  item_count: number | null;
  download_url: string | null;
  expires_at: string;
  completed_at: string | null;
}

/** Polls the export until it is done or failed (or the deadline passes). */
async function settled(app: App, headers: Record<string, string>, location: string, deadlineMs = 60_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const response = await app.inject({ method: 'GET', url: location, headers });
    const body = response.json<ExportBody>();
    if (body.status === 'done' || body.status === 'failed' || Date.now() > deadline) return body;
    await sleep(200);
  }
}

async function requestExport(app: App, headers: Record<string, string>) {
  const response = await app.inject({ method: 'POST', url: '/v1/exports', headers });
  if (response.statusCode !== 202) throw new Error(`export request failed: ${response.body}`);
  return { location: response.headers.location as string, body: response.json<ExportBody>() };
}

const rows = async (app: App, text: string, values: unknown[] = []) => (await app.database.execute(text, values)).rows;

t.test('an export is queued (202, Location), runs, and downloads as JSON with every bucketlist and item', async (t) => {
  const app = await build(t, { env: FAST_JOBS });
  const user = await signUp(app);
  const travel = await createBucketlist(app, user.headers, {
    name: 'Travel, "far" away',
    description: 'Línea 1\nline 2',
  });
  await createBucketlist(app, user.headers, { name: 'Empty one' });
  const aurora = await createItem(app, user.headers, travel.id, { name: 'See the aurora 🌌' });
  await createItem(app, user.headers, travel.id, { name: 'Ride, "the" train', done: true });

  const response = await app.inject({ method: 'POST', url: '/v1/exports', headers: user.headers });
  t.equal(response.statusCode, 202);
  const queued = response.json<ExportBody>();
  t.equal(response.headers.location, `/v1/exports/${queued.id}`);
  t.equal(queued.status, 'queued');
  t.equal(queued.progress, 0);
  t.equal(queued.download_url, null);
  t.match(queued.expires_at, RFC3339_MS);
  t.ok(Date.parse(queued.expires_at) - Date.now() > 23 * 3600 * 1000, 'expires after EXPORT_TTL (a day by default)');

  const done = await settled(app, user.headers, `/v1/exports/${queued.id}`);
  t.equal(done.status, 'done');
  t.equal(done.progress, 100);
  t.equal(done.item_count, 2);
  t.equal(done.download_url, `/v1/exports/${queued.id}/download`);
  t.match(done.completed_at, RFC3339_MS);

  const download = await app.inject({ method: 'GET', url: done.download_url as string, headers: user.headers });
  t.equal(download.statusCode, 200);
  t.match(download.headers['content-type'], /^application\/json/);
  t.match(download.headers['content-disposition'], `attachment; filename="bucketlists-export-${queued.id}.json"`);
  const document = download.json();
  const lists = (await app.inject({ method: 'GET', url: '/v1/bucketlists?sort=id', headers: user.headers })).json();
  const items = (
    await app.inject({ method: 'GET', url: `/v1/bucketlists/${travel.id}/items?sort=id`, headers: user.headers })
  ).json();
  t.same(document, {
    export_id: queued.id,
    exported_at: done.completed_at,
    bucketlists: [
      { ...lists.items[0], items: items.items },
      { ...lists.items[1], items: [] },
    ],
  });
  t.equal(document.bucketlists[0].items[0].id, aurora.id);
});

t.test('with Accept: text/csv the download is RFC 4180 CSV, one line per item, one per empty bucketlist', async (t) => {
  const app = await build(t, { env: FAST_JOBS });
  const user = await signUp(app);
  const travel = await createBucketlist(app, user.headers, { name: 'Travel, "far"', description: null });
  const empty = await createBucketlist(app, user.headers, { name: 'Empty' });
  const item = await createItem(app, user.headers, travel.id, { name: 'Line\nbreak' });
  const { location } = await requestExport(app, user.headers);
  const done = await settled(app, user.headers, location);

  const download = await app.inject({
    method: 'GET',
    url: done.download_url as string,
    headers: { ...user.headers, accept: 'text/csv' },
  });
  t.equal(download.statusCode, 200);
  t.match(download.headers['content-type'], /^text\/csv; charset=utf-8/);
  const lists = (await app.inject({ method: 'GET', url: '/v1/bucketlists?sort=id', headers: user.headers })).json();
  const [first, second] = lists.items;
  const stored = (
    await app.inject({ method: 'GET', url: `/v1/bucketlists/${travel.id}/items/${item.id}`, headers: user.headers })
  ).json();
  t.equal(
    download.body,
    'bucketlist_id,bucketlist_name,bucketlist_description,bucketlist_created_at,bucketlist_updated_at,' +
      'item_id,item_name,item_done,item_created_at,item_updated_at\r\n' +
      `${travel.id},"Travel, ""far""",,${first.created_at},${first.updated_at},` +
      `${item.id},"Line\nbreak",false,${stored.created_at},${stored.updated_at}\r\n` +
      `${empty.id},Empty,,${second.created_at},${second.updated_at},,,,,\r\n`,
  );
  // JSON is preferred when the client takes both equally; a client that takes neither gets 406.
  const both = await app.inject({
    method: 'GET',
    url: done.download_url as string,
    headers: { ...user.headers, accept: 'application/json, text/csv' },
  });
  t.match(both.headers['content-type'], /^application\/json/);
  const neither = await app.inject({
    method: 'GET',
    url: done.download_url as string,
    headers: { ...user.headers, accept: 'text/html' },
  });
  expectProblem(t, neither, 406, 'not_acceptable');
});

t.test("another user's export, a missing one and an expired one all answer 404", async (t) => {
  const app = await build(t, { env: FAST_JOBS });
  const owner = await signUp(app);
  const other = await signUp(app);
  const { location, body } = await requestExport(app, owner.headers);
  const done = await settled(app, owner.headers, location);
  for (const url of [location, done.download_url as string]) {
    expectProblem(t, await app.inject({ method: 'GET', url, headers: other.headers }), 404, 'not_found');
  }
  const missing = await app.inject({ method: 'GET', url: `/v1/exports/${MISSING_ID}`, headers: owner.headers });
  expectProblem(t, missing, 404, 'not_found');
  const missingDownload = await app.inject({
    method: 'GET',
    url: `/v1/exports/${MISSING_ID}/download`,
    headers: owner.headers,
  });
  expectProblem(t, missingDownload, 404, 'not_found');

  await rows(app, `update exports set expires_at = now() - interval '1 second' where id = $1`, [body.id]);
  for (const url of [location, done.download_url as string]) {
    expectProblem(t, await app.inject({ method: 'GET', url, headers: owner.headers }), 404, 'not_found');
  }
});

t.test(
  'one export per user at a time: a second while one is queued is 409, and the download waits for done',
  async (t) => {
    // No workers in this process: the export stays queued.
    const app = await build(t, { env: { WORKERS_IN_PROCESS: 'false' } });
    const user = await signUp(app);
    const other = await signUp(app);
    const { body } = await requestExport(app, user.headers);
    const second = await app.inject({ method: 'POST', url: '/v1/exports', headers: user.headers });
    expectProblem(t, second, 409, 'conflict');
    const early = await app.inject({ method: 'GET', url: `/v1/exports/${body.id}/download`, headers: user.headers });
    expectProblem(t, early, 409, 'conflict');
    // Another user is not held up.
    t.equal((await app.inject({ method: 'POST', url: '/v1/exports', headers: other.headers })).statusCode, 202);
    // The job is in the queue, waiting for a worker.
    const jobs = await rows(
      app,
      `select data->>'exportId' as export_id, state from pgboss.job where name = $1 order by created_on`,
      [QUEUES.export],
    );
    t.same(jobs[0], { export_id: String(body.id), state: 'created' });
    // Once it is done, the user may ask again.
    await rows(app, `update exports set status = 'done' where id = $1`, [body.id]);
    t.equal((await app.inject({ method: 'POST', url: '/v1/exports', headers: user.headers })).statusCode, 202);
  },
);

t.test('a revoked session cannot ask for an export; no token is 401', async (t) => {
  const app = await build(t, { env: { WORKERS_IN_PROCESS: 'false' } });
  const user = await signUp(app);
  expectProblem(t, await app.inject({ method: 'POST', url: '/v1/exports' }), 401, 'unauthorized');
  await app.inject({ method: 'POST', url: '/v1/auth/logout', headers: user.headers });
  expectProblem(
    t,
    await app.inject({ method: 'POST', url: '/v1/exports', headers: user.headers }),
    401,
    'unauthorized',
  );
  t.same(await rows(app, 'select id from exports'), []);
});

t.test('a database fault in the first attempt: the job is retried with backoff and completes once', async (t) => {
  const app = await build(t, { env: FAST_JOBS });
  const user = await signUp(app);
  const list = await createBucketlist(app, user.headers);
  await createItem(app, user.headers, list.id);
  // A real fault: the first chunk the job writes fails in the database (a sequence is not rolled back).
  await app.database.execute(`
    create sequence fault_once;
    create function fail_once() returns trigger language plpgsql as $$
    begin
      if nextval('fault_once') = 1 then raise exception 'injected fault'; end if;
      return new;
    end $$;
    create trigger export_chunks_fault before insert on export_chunks for each row execute function fail_once();
  `);
  const { location, body } = await requestExport(app, user.headers);
  const done = await settled(app, user.headers, location);
  t.equal(done.status, 'done');
  const [row] = await rows(app, 'select attempts from exports where id = $1', [body.id]);
  t.equal(row?.attempts, 2, 'two runs: the failed one and its retry');
  const jobs = await rows(app, `select state, retry_count from pgboss.job where name = $1`, [QUEUES.export]);
  t.same(jobs, [{ state: 'completed', retry_count: 1 }]);
  const chunks = await rows(app, 'select distinct run_id from export_chunks where export_id = $1', [body.id]);
  t.equal(chunks.length, 1, "only the finished run's content is kept");
  const download = await app.inject({ method: 'GET', url: done.download_url as string, headers: user.headers });
  t.equal(download.json().bucketlists[0].items.length, 1);
});

t.test('an export that fails every attempt ends failed, and the user may ask again', async (t) => {
  const app = await build(t, { env: FAST_JOBS });
  const user = await signUp(app);
  await createBucketlist(app, user.headers);
  await app.database.execute(`
    create function always_fail() returns trigger language plpgsql as $$
    begin raise exception 'injected fault'; end $$;
    create trigger export_chunks_fault before insert on export_chunks for each row execute function always_fail();
  `);
  const { location } = await requestExport(app, user.headers);
  const failed = await settled(app, user.headers, location, 90_000);
  t.equal(failed.status, 'failed');
  t.equal(failed.download_url, null);
  t.match(failed.completed_at, RFC3339_MS);
  const jobs = await rows(app, `select state, retry_count from pgboss.job where name = $1`, [QUEUES.export]);
  t.same(jobs, [{ state: 'failed', retry_count: 3 }]);
  t.equal((await app.inject({ method: 'POST', url: '/v1/exports', headers: user.headers })).statusCode, 202);
});

t.test('the export of a user with 10,000 items equals, item by item, what the API reads', async (t) => {
  const app = await build(t, { env: FAST_JOBS });
  const password = 'correct horse battery staple';
  const seeded = await seedDatabase(
    app.database.db,
    { users: 1, bucketlists: 20, items: 500 },
    { passwordHash: await hashPassword(password), randomSeed: 18 },
  );
  const login = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: seeded.firstEmail, password },
  });
  const headers = { authorization: `Bearer ${login.json().access_token}` };
  const { location } = await requestExport(app, headers);
  const done = await settled(app, headers, location, 120_000);
  t.equal(done.status, 'done');
  t.equal(done.item_count, 10_000);

  const expected = [];
  const lists = (await app.inject({ method: 'GET', url: '/v1/bucketlists?sort=id&page_size=100', headers })).json();
  for (const list of lists.items) {
    const items = [];
    for (let page = 1; ; page++) {
      const url = `/v1/bucketlists/${list.id}/items?sort=id&page_size=100&page=${page}`;
      const body = (await app.inject({ method: 'GET', url, headers })).json();
      items.push(...body.items);
      if (body.items.length < 100) break;
    }
    expected.push({ ...list, items });
  }
  const document = (await app.inject({ method: 'GET', url: done.download_url as string, headers })).json();
  t.equal(document.bucketlists.length, 20);
  t.equal(
    document.bucketlists.reduce((sum: number, list: { items: unknown[] }) => sum + list.items.length, 0),
    10_000,
  );
  t.same(document.bucketlists, expected, 'every bucketlist and item, field by field');

  const csv = await app.inject({
    method: 'GET',
    url: done.download_url as string,
    headers: { ...headers, accept: 'text/csv' },
  });
  t.equal(csv.body.split('\r\n').length, 1 + 10_000 + 1, 'a header, a line per item, and the final line break');
  // The content is stored in chunks of at most a thousand records, read back one at a time.
  const [chunks] = await rows(app, 'select count(*)::int as count from export_chunks');
  t.ok((chunks?.count as number) >= 10, 'written and read in batches');
});

t.test('the maintenance job purges ended sessions and expired exports, and is scheduled', async (t) => {
  const app = await build(t, { env: FAST_JOBS });
  const user = await signUp(app);
  const stays = await signUp(app);
  await app.inject({ method: 'POST', url: '/v1/auth/logout', headers: user.headers });
  const { location, body } = await requestExport(app, stays.headers);
  await settled(app, stays.headers, location);
  await rows(app, `update exports set expires_at = now() - interval '1 second' where id = $1`, [body.id]);

  const schedules = await rows(app, 'select name, cron from pgboss.schedule');
  t.same(schedules, [{ name: QUEUES.maintenance, cron: '*/15 * * * *' }]);

  const producer = createQueue(app.database, app.config.jobs, { workers: false });
  await producer.start();
  await producer.send(QUEUES.maintenance, {});
  await producer.stop({ graceful: false, close: false });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await rows(app, 'select id from exports')).length > 0) await sleep(200);
  t.same(await rows(app, 'select id from exports'), [], 'the expired export and its chunks are gone');
  t.same(await rows(app, 'select * from export_chunks'), []);
  const sessions = await rows(app, 'select user_id from sessions');
  t.same(sessions, [{ user_id: stays.id }], 'the revoked session is gone, the active one stays');
});

t.test('/metrics shows the queue by state and how long the jobs took', async (t) => {
  const app = await build(t, { env: FAST_JOBS });
  const user = await signUp(app);
  const { location } = await requestExport(app, user.headers);
  await settled(app, user.headers, location);
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /^job_duration_seconds_count\{queue="export",outcome="completed"\} 1$/m);
  t.match(metrics, /^job_queue_jobs\{queue="export",state="running"\} 0$/m);
  t.match(metrics, /^job_queue_jobs\{queue="export",state="failed"\} 0$/m);

  // An API process without workers: the export waits in the queue.
  const producer = await build(t, { env: { WORKERS_IN_PROCESS: 'false' } });
  const other = await signUp(producer);
  await requestExport(producer, other.headers);
  const queued = (await producer.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(queued, /^job_queue_jobs\{queue="export",state="queued"\} 1$/m);
  t.notMatch(queued, /job_duration_seconds_count/, 'no job ran in this process');
});

t.test('a user with nothing exports an empty document, and an empty CSV with its header', async (t) => {
  const app = await build(t, { env: FAST_JOBS });
  const user = await signUp(app);
  const { location, body } = await requestExport(app, user.headers);
  const done = await settled(app, user.headers, location);
  t.equal(done.item_count, 0);
  t.equal(done.progress, 100);
  const url = done.download_url as string;
  const json = await app.inject({ method: 'GET', url, headers: user.headers });
  t.same(json.json(), { export_id: body.id, exported_at: done.completed_at, bucketlists: [] });
  const csv = await app.inject({ method: 'GET', url, headers: { ...user.headers, accept: 'text/csv' } });
  t.equal(csv.body.split('\r\n').length, 2, 'the header line only');
  // The client's preference decides between the two (RFC 9110 §12.5.1).
  const preferCsv = { ...user.headers, accept: 'application/json;q=0.5, text/csv' };
  t.match((await app.inject({ method: 'GET', url, headers: preferCsv })).headers['content-type'], /^text\/csv/);
  const preferJson = { ...user.headers, accept: 'text/csv;q=0.5, application/json;q=0.9' };
  t.match(
    (await app.inject({ method: 'GET', url, headers: preferJson })).headers['content-type'],
    /^application\/json/,
  );
});

t.test('a run that another run took over can neither add content nor finish the export', async (t) => {
  const app = await build(t, { env: { WORKERS_IN_PROCESS: 'false' } });
  const user = await signUp(app);
  await createBucketlist(app, user.headers);
  const { body } = await requestExport(app, user.headers);
  const { exports } = app.repositories;
  const first = await exports.startRun(body.id, '00000000-0000-4000-8000-000000000001');
  t.ok(first, 'the first run starts');
  t.equal(await runExport(exports, body.id), 'done', 'a second run takes over and finishes');
  if (!first) return;
  t.notOk(await exports.writeChunk(first, 9, [], 0), 'the first adds nothing');
  t.notOk(await exports.finishRun(first), 'nor finishes it');
  t.equal(await runExport(exports, body.id), 'skipped', 'a done export is not run again');
  const [row] = await rows(app, 'select status, attempts from exports where id = $1', [body.id]);
  t.same(row, { status: 'done', attempts: 2 });
});

t.test('a job that gives up on an export another run finished leaves it done and downloadable', async (t) => {
  const app = await build(t, { env: { WORKERS_IN_PROCESS: 'false' } });
  const user = await signUp(app);
  await createBucketlist(app, user.headers);
  const { body, location } = await requestExport(app, user.headers);
  const { exports } = app.repositories;
  t.equal(await runExport(exports, body.id), 'done');
  await exports.fail(body.id);
  const done = await app.inject({ method: 'GET', url: location, headers: user.headers });
  t.equal(done.json().status, 'done');
  const download = await app.inject({ method: 'GET', url: done.json().download_url as string, headers: user.headers });
  t.equal(download.statusCode, 200);
  t.equal((download.json() as { bucketlists: unknown[] }).bucketlists.length, 1, 'its content is still there');
});
