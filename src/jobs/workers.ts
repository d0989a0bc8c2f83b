/**
 * The workers: what each queue's jobs do, and the maintenance schedule. They run in the API
 * process by default (WORKERS_IN_PROCESS) or alone (`npm run worker`, src/worker.ts); either way
 * every process takes jobs from the same tables, and pg-boss hands each job to one of them.
 */
import type PgBoss from 'pg-boss';
import type { JobsConfig } from '../config.js';
import type { Repositories } from '../repositories/index.js';
import { type Telemetry, type TraceCarrier, traceJob } from '../db/tracing.js';
import { runExport } from './export.js';
import { createQueues, type ExportJob, MAINTENANCE_CRON, QUEUES } from './queue.js';

export type JobOutcome = 'completed' | 'failed';

/** What the process's metrics see of each job. */
export interface JobObserver {
  ended(queue: string, outcome: JobOutcome, seconds: number): void;
}

export interface JobLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface WorkerOptions {
  repositories: Repositories;
  config: JobsConfig;
  log: JobLogger;
  observer?: JobObserver;
  /** When tracing is on: each job gets a span, the parent of its statements' spans. */
  telemetry?: Telemetry;
}

/** Runs one job under the observer, logging and timing it; a failure is rethrown for pg-boss to retry. */
async function observed<T>(
  queue: string,
  options: WorkerOptions,
  job: PgBoss.Job<{ trace?: TraceCarrier }>,
  details: object,
  run: () => Promise<T>,
) {
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const result = await (options.telemetry ? traceJob(options.telemetry, queue, job.data?.trace, run) : run());
    options.observer?.ended(queue, 'completed', seconds());
    options.log.info({ queue, ...details, result, seconds: seconds() }, 'job completed');
    return result;
  } catch (error) {
    options.observer?.ended(queue, 'failed', seconds());
    options.log.error({ queue, ...details, err: error }, 'job failed');
    throw error;
  }
}

/** Starts taking jobs from every queue on this pg-boss (started, with `workers: true`). */
export async function startWorkers(boss: PgBoss, options: WorkerOptions): Promise<void> {
  const { repositories, config } = options;
  // The queues may be new to this database, or this process may be the first with new settings.
  await createQueues(boss, config);
  const polling = { pollingIntervalSeconds: config.pollIntervalSeconds };

  await boss.work<ExportJob>(QUEUES.export, { ...polling, includeMetadata: true }, async ([job]) => {
    const attempt = job as PgBoss.JobWithMetadata<ExportJob>;
    const { exportId } = attempt.data;
    try {
      return await observed(QUEUES.export, options, attempt, { jobId: attempt.id, exportId }, () =>
        runExport(repositories.exports, exportId),
      );
    } catch (error) {
      // The last attempt failed: the export is failed for its owner to see (and to ask again).
      if (attempt.retryCount >= attempt.retryLimit) await repositories.exports.fail(exportId);
      throw error;
    }
  });

  await boss.work(QUEUES.maintenance, polling, async ([job]) =>
    observed(QUEUES.maintenance, options, job as PgBoss.Job, { jobId: job?.id }, async () => ({
      sessions: await repositories.sessions.purgeEnded(),
      exports: await repositories.exports.purgeExpired(),
      itemCountStripes: await repositories.itemCounts.foldStripes(),
    })),
  );
  // pg-boss keeps one schedule per queue and sends each due job once, whichever process sees it first.
  await boss.schedule(QUEUES.maintenance, MAINTENANCE_CRON);
}
