/**
 * The worker shell (`npm run worker`): takes jobs from the queue and runs them, with no HTTP
 * server, so that a deployment scales API processes and workers separately (the API then runs
 * with WORKERS_IN_PROCESS=false). PostgreSQL only: the embedded database belongs to one process.
 * On SIGTERM or SIGINT it stops taking jobs, lets a running one finish (or, past the grace period,
 * hands it back to the queue for another worker), closes the database and exits 0.
 * With tracing on, a job runs in the same `job <queue>` span as in the API process (src/jobs/workers.ts),
 * a child of the request that queued it, with its statements under it; the spans still batched are
 * sent before the exit. It keeps no job metrics: with no HTTP server nothing could scrape them, and
 * each job's log line carries its duration.
 */
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { loadConfigOrExit } from './config.js';
import { openDatabase } from './db/client.js';
import { createQueue, JOB_STOP_TIMEOUT_MS } from './jobs/queue.js';
import { startWorkers } from './jobs/workers.js';
import { loggerOptions } from './logger.js';
import { createRepositories } from './repositories/index.js';

const { config } = loadConfigOrExit('bucketlist-worker');
if (config.database.kind !== 'postgres') {
  console.error(
    'bucketlist-worker: set DATABASE_URL; the embedded database serves one process, whose workers run in-process',
  );
  process.exit(1);
}

const log = pino(loggerOptions(config));
// Loaded only when tracing is on, as in app.ts: with it off none of OpenTelemetry is loaded.
const tracing = config.tracing ? (await import('./tracer.js')).startTracerProvider(config.tracing) : undefined;
const opened = await openDatabase(config.database, { migrate: true });
const handle = tracing ? opened.traced(tracing.telemetry) : opened;
const boss = createQueue(handle, config.jobs, { workers: true });
boss.on('error', (err) => log.error({ err }, 'job queue error'));
await boss.start();

closeWithGrace({ delay: JOB_STOP_TIMEOUT_MS + 2000 }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after an error');
  else log.info({ signal }, 'shutting down');
  await boss.stop({ graceful: true, timeout: JOB_STOP_TIMEOUT_MS, close: false });
  await handle.close();
  // Last: the spans of the jobs that finished while stopping are sent too.
  await tracing?.provider.shutdown();
});

await startWorkers(boss, {
  repositories: createRepositories(handle.db),
  config: config.jobs,
  log,
  ...(tracing ? { telemetry: tracing.telemetry } : {}),
});
log.info({ queues: 'all' }, 'workers started');
