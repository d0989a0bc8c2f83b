/**
 * Background jobs: the pg-boss queue on the app's database, through which routes enqueue work
 * (`app.jobs`), the in-process workers (unless WORKERS_IN_PROCESS is off, when `npm run worker`
 * processes do the work), and the queue's metrics on /metrics. On close, a running job gets the
 * time to finish; one that does not is handed back to the queue for another worker.
 */
import fp from 'fastify-plugin';
import PgBoss from 'pg-boss';
import { Gauge, Histogram } from 'prom-client';
import type { JobsConfig } from '../config.js';
import { createQueue, createQueues, type ExportJob, JOB_STOP_TIMEOUT_MS, QUEUES } from '../jobs/queue.js';
import { currentTraceCarrier, type Telemetry } from '../db/tracing.js';
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
    const boss = createQueue(app.database, config, { workers: config.workersInProcess });
    boss.on('error', (err) => app.log.error({ err }, 'job queue error'));
    await boss.start();
    await createQueues(boss, config);
    app.addHook('onClose', () => boss.stop({ graceful: true, timeout: JOB_STOP_TIMEOUT_MS, close: false }));

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
        const counts = await (boss as CountingBoss).countStates();
        for (const queue of Object.values(QUEUES)) {
          const states = counts.queues[queue];
          for (const [shown, names] of Object.entries(STATES_SHOWN)) {
            const total = names.reduce((sum, state) => sum + (states?.[state] ?? 0), 0);
            this.set({ queue, state: shown }, total);
          }
        }
      },
    });

    if (config.workersInProcess) {
      await startWorkers(boss, {
        repositories: app.repositories,
        config,
        log: app.log,
        observer: { ended: (queue, outcome, seconds) => durations.observe({ queue, outcome }, seconds) },
        ...(options.telemetry ? { telemetry: options.telemetry } : {}),
      });
    }

    app.decorate('jobs', {
      async enqueueExport(exportId: number) {
        const job: ExportJob = { exportId, ...(telemetry ? { trace: currentTraceCarrier(telemetry) } : {}) };
        await boss.send(QUEUES.export, job);
      },
    });
  },
  { name: 'jobs', fastify: '5.x', dependencies: ['database', 'metrics'] },
);
