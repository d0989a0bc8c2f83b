/**
 * The job queue: pg-boss on the application's own database. pg-boss runs its statements through
 * the database handle (its `db` option) rather than a pool of its own, so the queue shares the
 * driver and connections of the app: postgres.js on PostgreSQL, and the very same embedded PGlite
 * when no DATABASE_URL is set. Jobs are rows in the `pgboss` schema, so they survive restarts and
 * any process on the database may take them; a job is fetched with SKIP LOCKED, so one worker
 * gets it.
 */
import PgBoss from 'pg-boss';
import type { JobsConfig } from '../config.js';
import type { DatabaseHandle } from '../db/client.js';
import type { TraceCarrier } from '../db/tracing.js';
import { hasSqlState } from '../repositories/writes.js';

/** The queues, and what their jobs carry. */
export const QUEUES = {
  export: 'export',
  maintenance: 'maintenance',
} as const;

export interface ExportJob {
  exportId: number;
  /** The trace context of the request that asked for the export, when tracing is on. */
  trace?: TraceCarrier;
}

/** Attempts after the first, spaced by retryDelay seconds doubling each time (with jitter). */
export const EXPORT_RETRY = { retryLimit: 3, retryDelay: 1, retryBackoff: true };

/** How long a closing process lets its running jobs finish before handing them back (within the shell's grace). */
export const JOB_STOP_TIMEOUT_MS = 8000;

/** The maintenance job's schedule: every fifteen minutes (pg-boss cron runs once across all processes). */
export const MAINTENANCE_CRON = '*/15 * * * *';

/**
 * pg-boss hands its parameters over as node-postgres takes them: objects to be sent as JSON text,
 * undefined as NULL. postgres.js refuses undefined and neither it nor PGlite stringifies an
 * untyped object, so the adapter does both.
 */
const asParameter = (value: unknown) => {
  if (value === undefined) return null;
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)
    ? JSON.stringify(value)
    : value;
};

/** pg-boss's database adapter over the app's handle. */
export const queueDatabase = (handle: DatabaseHandle): PgBoss.Db => ({
  executeSql: (text, values) => handle.execute(text, (values ?? []).map(asParameter)),
});

/**
 * How often expired jobs are looked for: half the job timeout, at most every two minutes (pg-boss's
 * default). A job whose worker died is so retried within one and a half timeouts.
 */
export const maintenanceIntervalSeconds = (timeoutSeconds: number) =>
  Math.max(1, Math.min(120, Math.floor(timeoutSeconds / 2)));

/** A pg-boss on the handle, not yet started. `workers: false` makes a producer only (no schedules, no upkeep). */
export function createQueue(handle: DatabaseHandle, config: JobsConfig, options: { workers: boolean }): PgBoss {
  return new PgBoss({
    db: queueDatabase(handle),
    // pg-boss installs or upgrades its own schema at start, under its own advisory lock.
    migrate: true,
    supervise: options.workers,
    schedule: options.workers,
    maintenanceIntervalSeconds: maintenanceIntervalSeconds(config.timeoutSeconds),
  });
}

/**
 * Creates the queues, or brings their settings up to this configuration: a job takes its queue's
 * retry and expiry settings when it is sent, so every process should run with the same JOB_TIMEOUT.
 */
export async function createQueues(boss: PgBoss, config: JobsConfig): Promise<void> {
  const queues: PgBoss.Queue[] = [
    { name: QUEUES.export, ...EXPORT_RETRY, expireInSeconds: config.timeoutSeconds },
    { name: QUEUES.maintenance, expireInSeconds: config.timeoutSeconds },
  ];
  for (const queue of queues) {
    await retriedOnDeadlock(() => boss.createQueue(queue.name, queue));
    await boss.updateQueue(queue.name, queue);
  }
}

/** SQLSTATE of the loser of a deadlock, which PostgreSQL rolls back. */
const DEADLOCK_DETECTED = '40P01';

/**
 * pg-boss creates a queue's partition without a lock of its own: processes that start together on
 * a new database can deadlock there. The loser's statement is rolled back; once the winner's is
 * done, trying again finds the queue and does nothing.
 */
async function retriedOnDeadlock(create: () => Promise<void>, attempts = 3): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (attempts <= 1 || !hasSqlState(error, DEADLOCK_DETECTED)) throw error;
    await retriedOnDeadlock(create, attempts - 1);
  }
}

/** Installs pg-boss's schema and the queues, and stops: for `npm run db:migrate` and test templates. */
export async function migrateQueue(handle: DatabaseHandle, config: JobsConfig): Promise<void> {
  const boss = createQueue(handle, config, { workers: false });
  await boss.start();
  await createQueues(boss, config);
  await boss.stop({ graceful: false, close: false });
}
