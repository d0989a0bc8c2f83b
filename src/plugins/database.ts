/**
 * The database: opens PostgreSQL or the embedded PGlite (applying migrations when asked),
 * builds the repositories on it, and closes it with the app.
 */
import fp from 'fastify-plugin';
import type { DatabaseConfig } from '../config.js';
import { type DatabaseHandle, openDatabase } from '../db/client.js';
import type { Telemetry } from '../db/tracing.js';
import { createRepositories, type Repositories } from '../repositories/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The open database, for infrastructure plugins (the job queue); routes use `repositories`. */
    database: DatabaseHandle;
    /** Every query the routes may run, grouped by resource. */
    repositories: Repositories;
    /** Resolves when the database answers; rejects when it does not, within 2 s. */
    pingDatabase(): Promise<void>;
  }
}

export interface DatabasePluginOptions {
  database: DatabaseConfig;
  migrate: boolean;
  /** An already open database (tests, scripts); the plugin then leaves closing it to its owner. */
  handle?: DatabaseHandle;
  /** When tracing is on: every statement gets a span. */
  telemetry?: Telemetry;
}

// A probe must answer quickly even when the database hangs (a black-holed connection).
const PING_DEADLINE_MS = 2000;

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export default fp<DatabasePluginOptions>(
  async function database(app, options) {
    const opened = options.handle ?? (await openDatabase(options.database, { migrate: options.migrate }));
    if (!options.handle) app.addHook('onClose', () => opened.close());
    const handle = options.telemetry ? opened.traced(options.telemetry) : opened;
    app.decorate('database', handle);
    app.decorate('repositories', createRepositories(handle.db));
    app.decorate('pingDatabase', () => withDeadline(handle.ping(), PING_DEADLINE_MS));
  },
  { name: 'database', fastify: '5.x' },
);
