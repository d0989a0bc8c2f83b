/**
 * Workers: several take jobs from one queue and each job is done once; a worker process killed
 * mid-job (SIGKILL) loses nothing, since its job expires and another worker runs it to completion;
 * a worker process sent SIGTERM finishes its running job before it exits. The process tests need
 * PostgreSQL: the embedded database belongs to one process (its workers run in-process).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import type { App } from '../../src/app.js';
import { seedDatabase } from '../../src/db/seed.js';
import { createQueue, QUEUES } from '../../src/jobs/queue.js';
import { type JobOutcome, startWorkers } from '../../src/jobs/workers.js';
import { hashPassword } from '../../src/routes/v1/auth/credentials.js';
import { build, signUp } from '../helper.js';
import { startWorkerProcess } from '../production/server-process.js';

const serverUrl = process.env.TEST_DATABASE_URL || undefined;
const quiet = { info: () => {}, error: () => {} };

const rows = async (app: App, text: string, values: unknown[] = []) => (await app.database.execute(text, values)).rows;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const exportsDone = (app: App, count: number) => async () =>
  (await rows(app, `select id from exports where status = 'done'`)).length === count;

t.test('two workers on one queue: every export is done, each exactly once', async (t) => {
  // The API only queues; the two workers below share its database and queue.
  const app = await build(t, { env: { WORKERS_IN_PROCESS: 'false' } });
  const config = { ...app.config.jobs, pollIntervalSeconds: 0.5 };
  const ran: string[] = [];
  for (const name of ['first', 'second']) {
    const boss = createQueue(app.database, config, { workers: true });
    await boss.start();
    t.teardown(() => boss.stop({ graceful: true, close: false, timeout: 2000 }));
    await startWorkers(boss, {
      repositories: app.repositories,
      config,
      log: quiet,
      observer: {
        ended: (queue: string, outcome: JobOutcome) => {
          if (queue === QUEUES.export && outcome === 'completed') ran.push(name);
        },
      },
    });
  }
  const users = await Promise.all(Array.from({ length: 8 }, () => signUp(app)));
  for (const user of users) {
    t.equal((await app.inject({ method: 'POST', url: '/v1/exports', headers: user.headers })).statusCode, 202);
  }
  await waitFor('every export', exportsDone(app, users.length));
  t.equal(ran.length, users.length, 'one completed run per export, across both workers');
  const attempts = await rows(app, 'select attempts from exports');
  t.same(
    attempts.map((row) => row.attempts),
    users.map(() => 1),
    'no export ran twice',
  );
  const jobs = await rows(app, `select state, retry_count from pgboss.job where name = $1`, [QUEUES.export]);
  t.same(
    jobs,
    users.map(() => ({ state: 'completed', retry_count: 0 })),
  );
});

/** `src/worker.ts` on the test's database, started when it says so. */
const startWorker = (t: Test, databaseUrl: string, jobTimeout: number) =>
  startWorkerProcess(t, { DATABASE_URL: databaseUrl, JOB_TIMEOUT: String(jobTimeout) });

/** A user with 5,000 items, whose export's job is slowed down (each chunk write waits) until `speedUp`. */
async function slowExport(app: App) {
  const password = 'correct horse battery staple';
  const seeded = await seedDatabase(
    app.database.db,
    { users: 1, bucketlists: 5, items: 1000 },
    { passwordHash: await hashPassword(password), randomSeed: 7 },
  );
  const login = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: seeded.firstEmail, password },
  });
  const headers = { authorization: `Bearer ${login.json().access_token}` };
  await app.database.execute(`
    create function slow_chunks() returns trigger language plpgsql as $$
    begin perform pg_sleep(0.5); return new; end $$;
    create trigger export_chunks_slow before insert on export_chunks for each row execute function slow_chunks();
  `);
  const response = await app.inject({ method: 'POST', url: '/v1/exports', headers });
  return {
    id: response.json().id as number,
    headers,
    speedUp: () => app.database.execute('drop trigger export_chunks_slow on export_chunks'),
  };
}

const needsServer = serverUrl
  ? {}
  : { skip: 'needs PostgreSQL (TEST_DATABASE_URL): the embedded database serves one process' };

const databaseUrlOf = (app: App) => (app.database as { url?: string }).url as string;

t.test(
  'a worker killed mid-job: the job expires, another worker runs it again, and it completes once',
  needsServer,
  async (t) => {
    const app = await build(t, { env: { WORKERS_IN_PROCESS: 'false', JOB_TIMEOUT: '2' } });
    const exported = await slowExport(app);
    // A lost job is noticed within seconds: it expires after two, checked every second.
    const doomed = await startWorker(t, databaseUrlOf(app), 2);
    await waitFor('the first chunk', async () => {
      const [row] = await rows(app, 'select items_exported from exports where id = $1', [exported.id]);
      return (row?.items_exported as number) > 0;
    });
    doomed.child.kill('SIGKILL');
    t.equal(await doomed.exited, 'SIGKILL');
    await exported.speedUp();
    const [running] = await rows(app, 'select status, attempts from exports where id = $1', [exported.id]);
    t.same(running, { status: 'running', attempts: 1 }, 'the dead worker left it running');

    await startWorker(t, databaseUrlOf(app), 2);
    await waitFor('the export', exportsDone(app, 1));
    const [row] = await rows(app, 'select attempts, item_count, items_exported from exports where id = $1', [
      exported.id,
    ]);
    t.same(row, { attempts: 2, item_count: 5000, items_exported: 5000 });
    const jobs = await rows(app, `select state, retry_count from pgboss.job where name = $1`, [QUEUES.export]);
    t.same(jobs, [{ state: 'completed', retry_count: 1 }], 'one job, retried once after it expired');
    const runs = await rows(app, 'select distinct run_id from export_chunks');
    t.equal(runs.length, 1, "the dead run's chunks are gone");
    const download = await app.inject({
      method: 'GET',
      url: `/v1/exports/${exported.id}/download`,
      headers: exported.headers,
    });
    const items = download.json().bucketlists.flatMap((list: { items: { id: number }[] }) => list.items);
    t.equal(items.length, 5000);
    t.equal(new Set(items.map((item: { id: number }) => item.id)).size, 5000, 'no item twice');
  },
);

t.test('SIGTERM lets the running job finish before the worker exits', needsServer, async (t) => {
  const app = await build(t, { env: { WORKERS_IN_PROCESS: 'false' } });
  const exported = await slowExport(app);
  const worker = await startWorker(t, databaseUrlOf(app), 60);
  await waitFor('the job to start', async () => {
    const [row] = await rows(app, 'select status from exports where id = $1', [exported.id]);
    return row?.status === 'running';
  });
  worker.child.kill('SIGTERM');
  t.equal(await worker.exited, 0, 'a clean exit');
  const [row] = await rows(app, 'select status, attempts, items_exported from exports where id = $1', [exported.id]);
  t.same(row, { status: 'done', attempts: 1, items_exported: 5000 }, 'finished by the worker that was stopping');
  t.match(worker.output(), /"msg":"job completed"/);
  t.match(worker.output(), /"msg":"shutting down"/);
});
