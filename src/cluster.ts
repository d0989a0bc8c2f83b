/**
 * Multi-process mode (`npm run start:cluster`): the primary forks WORKERS copies of the server
 * (default: one per CPU) with node:cluster. They share the listening port, and, the API being
 * stateless, behave as one instance. PostgreSQL only: the embedded PGlite belongs to one process.
 */
import cluster, { type Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig } from './config.js';

// A worker that dies this soon after it started failed to boot (bad config, database down):
// restarting it would only loop, so the whole cluster stops instead.
const BOOT_FAILURE_WINDOW_MS = 5_000;
const SHUTDOWN_GRACE_MS = 15_000;
const MAX_WORKERS = 64;

/**
 * The number of workers: WORKERS when set (1 to 64), else one per CPU. WORKERS is read here, not
 * in config.ts, because it configures the process shell, not the app that each worker builds.
 */
function workerCount(value: string | undefined, cpus: number): number {
  if (value === undefined || value === '') return cpus;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS) {
    throw new ConfigError(`invalid environment variable WORKERS=${JSON.stringify(value)}: must be 1 to ${MAX_WORKERS}`);
  }
  return count;
}

function runPrimary(): void {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let count: number;
  try {
    count = workerCount(process.env.WORKERS, availableParallelism());
    const { config } = loadConfig();
    if (config.database.kind === 'pglite' && count > 1) {
      throw new ConfigError('cluster mode needs DATABASE_URL: the embedded PGlite database serves one process only');
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`bucketlist-api cluster: ${error.message}`);
    process.exit(1);
  }

  let stopping = false;
  const startedAt = new Map<Worker, number>();
  const fork = () => startedAt.set(cluster.fork(), Date.now());

  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    // Each worker drains its requests and closes its pool on SIGTERM (see server.ts).
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(code || 1);
    }, SHUTDOWN_GRACE_MS).unref();
    const exitWhenDone = () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(code);
    };
    cluster.on('exit', exitWhenDone);
    exitWhenDone();
  };

  cluster.on('exit', (worker, exitCode, signal) => {
    const bornAt = startedAt.get(worker) ?? 0;
    startedAt.delete(worker);
    if (stopping) return;
    const cause = signal ?? `code ${exitCode}`;
    if (Date.now() - bornAt < BOOT_FAILURE_WINDOW_MS) {
      console.error(`bucketlist-api cluster: worker ${worker.process.pid} failed at start (${cause}); stopping`);
      stop(1);
      return;
    }
    console.error(`bucketlist-api cluster: worker ${worker.process.pid} died (${cause}); starting another`);
    fork();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop(0));
  for (let index = 0; index < count; index++) fork();
}

if (cluster.isPrimary) runPrimary();
else await import('./server.js');
