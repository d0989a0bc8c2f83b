/**
 * Background jobs: the pg-boss queue on the app's database, through which routes enqueue work
 * (`app.jobs`), the in-process workers (unless WORKERS_IN_PROCESS is off, when `npm run worker`
 * processes do the work), and the queue's metrics on /metrics. On close, a running job gets the
 * time to finish; one that does not is handed back to the queue for another worker.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import fp from 'fastify-plugin';
import PgBoss from 'pg-boss';
import { Gauge, Histogram } from 'prom-client';
import type { JobsConfig } from '../config.js';
import { createQueue, createQueues, type ExportJob, JOB_STOP_TIMEOUT_MS, QUEUES } from '../jobs/queue.js';
import { currentTraceCarrier, type Telemetry } from '../db/tracing.js';
import { serviceUnavailable } from '../errors.js';
import { startWorkers } from '../jobs/workers.js';

declare module 'fastify' {
  interface FastifyInstance {
    jobs: {
      /** Queues the export's job. */
      enqueueExport(exportId: number): Promise<void>;
    };
  }
}

/** pg-boss's count of jobs per queue and state: public on the instance, but missing from its types. */
type CountingBoss = PgBoss & { countStates(): Promise<PgBoss.MonitorStates> };

/** How long a request waits for a queue that is still starting before its 503. */
const QUEUE_WAIT_MS = 5000;

// Seconds; from a purge of nothing to a large export.
const JOB_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

const STATES_SHOWN = { queued: ['created', 'retry'], running: ['active'], failed: ['failed'] } as const;

export interface JobsPluginOptions {
  jobs: JobsConfig;
  /** When tracing is on: jobs carry the trace of the request that queued them, and run in spans. */
  telemetry?: Telemetry;
}

export default fp<JobsPluginOptions>(
  async function jobs(app, options) {
    const { jobs: config, telemetry } = options;
    const newQueue = () => {
      const queue = createQueue(app.database, config, { workers: config.workersInProcess });
      queue.on('error', (err) => app.log.error({ err }, 'job queue error'));
      return queue;
    };
    // Reads the queue's counts for /metrics; it needs no start.
    const counter = newQueue() as CountingBoss;

    const durations = new Histogram({
      name: 'job_duration_seconds',
      help: 'Time a job ran in this process, by queue and outcome (completed, or failed and retried or given up).',
      labelNames: ['queue', 'outcome'] as const,
      buckets: JOB_DURATION_BUCKETS,
      registers: [app.metricsRegistry],
    });
    new Gauge({
      name: 'job_queue_jobs',
      help: 'Jobs in the queue by state (queued: waiting or waiting to be retried), across all processes.',
      labelNames: ['queue', 'state'] as const,
      registers: [app.metricsRegistry],
      async collect() {
        // While the database is down the gauge keeps its last values: /metrics still answers.
        const counts = await counter.countStates().catch(() => undefined);
        for (const queue of Object.values(QUEUES)) {
          const states = counts?.queues[queue];
          for (const [shown, names] of Object.entries(STATES_SHOWN)) {
            if (counts)
              this.set(
                { queue, state: shown },
                names.reduce((sum, state) => sum + (states?.[state] ?? 0), 0),
              );
          }
        }
      },
    });

    async function start(boss: PgBoss) {
      await boss.start();
      await createQueues(boss, config);
      if (config.workersInProcess) {
        await startWorkers(boss, {
          repositories: app.repositories,
          config,
          log: app.log,
          observer: { ended: (queue, outcome, seconds) => durations.observe({ queue, outcome }, seconds) },
          ...(telemetry ? { telemetry } : {}),
        });
      }
    }
    /**
     * Started once the app is ready, without holding it up: an app whose database is down still
     * boots and answers (readyz 503), and its queue starts when the database is back. A pg-boss
     * that failed to start cannot start again, so each attempt has a new one.
     */
    const closing = new AbortController();
    async function startWithRetries(): Promise<PgBoss | undefined> {
      for (let attempt = 0; !closing.signal.aborted; attempt++) {
        const boss = newQueue();
        try {
          await start(boss);
          return boss;
        } catch (err) {
          app.log.error({ err, attempt }, 'the job queue could not start; trying again');
          await boss.stop({ graceful: false, close: false });
          await sleep(Math.min(30_000, 500 * 2 ** attempt), undefined, { signal: closing.signal }).catch(() => {});
        }
      }
      return undefined;
    }
    let started: Promise<PgBoss | undefined> = Promise.resolve(undefined);
    app.addHook('onReady', async () => {
      started = startWithRetries();
    });
    app.addHook('onClose', async () => {
      closing.abort();
      await (await started)?.stop({ graceful: true, timeout: JOB_STOP_TIMEOUT_MS, close: false });
    });

    app.decorate('jobs', {
      async enqueueExport(exportId: number) {
        const boss = await Promise.race([started, sleep(QUEUE_WAIT_MS, undefined, { ref: false })]);
        if (!boss) throw serviceUnavailable('The job queue is not available; try again shortly.');
        const job: ExportJob = { exportId, ...(telemetry ? { trace: currentTraceCarrier(telemetry) } : {}) };
        await boss.send(QUEUES.export, job);
      },
    });
  },
  { name: 'jobs', fastify: '5.x', dependencies: ['database', 'metrics'] },
);
