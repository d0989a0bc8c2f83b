/**
 * The database handle: PostgreSQL through postgres.js when a URL is configured, otherwise the
 * same PostgreSQL embedded in-process (PGlite) on a local data folder. One Drizzle schema and
 * one set of queries serve both.
 */
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { DatabaseConfig } from '../config.js';
import { migratePostgres } from './migrate.js';
import * as schema from './schema.js';
import { type Telemetry, tracePostgres, traceStatement } from './tracing.js';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Rows of a statement run outside Drizzle, as node-postgres shapes them. */
export interface SqlResult {
  rows: Record<string, unknown>[];
}

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseConfig['kind'];
  /**
   * One SQL text with positional parameters (`$1`), outside Drizzle, on the same connections: the
   * job queue's statements. A text without parameters may hold several statements (a transaction
   * spelled out in SQL); the rows are then those of the last one.
   */
  execute(text: string, values?: unknown[]): Promise<SqlResult>;
  /** The same database, with a span for each statement (src/db/tracing.ts); for when tracing is on. */
  traced(telemetry: Telemetry): DatabaseHandle;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Apply pending migrations before returning (under an advisory lock on PostgreSQL). */
  migrate: boolean;
}

export async function openDatabase(config: DatabaseConfig, options: OpenOptions): Promise<DatabaseHandle> {
  if (config.kind === 'postgres') return openPostgres(config, options);
  // Loaded only here (a chunk of its own in the bundle): a PostgreSQL deployment never loads
  // PGlite, and starts sooner.
  const { openEmbedded } = await import('./embedded.js');
  return openEmbedded(config, options);
}

/**
 * A shallow pipeline. postgres.js 3.4 hands a query to a connection that is still busy through a
 * queue that, under sustained load, never empties and never compacts, so each such query scans
 * all earlier ones and throughput decays over time (porsager/postgres#747). With a depth of 2 the
 * busy queue keeps emptying. (Depth 0 would disable pipelining
 * but also breaks `sql.begin`; a shallow pipeline fills often, which is why transactions have a
 * pool of their own, see connectPostgres.) The option is real but missing from the driver's type
 * definitions, hence the spread.
 */
export const SHALLOW_PIPELINE = { max_pipeline: 2 };

async function openPostgres(
  config: Extract<DatabaseConfig, { kind: 'postgres' }>,
  options: OpenOptions,
): Promise<DatabaseHandle> {
  if (options.migrate) await migratePostgres(config.url);
  return connectPostgres(config.url, config.poolSize, config.preparedStatements ?? true);
}

/** Connections of the transaction pool for a statement pool of `poolSize`: a fifth, at least one. */
export const transactionPoolSize = (poolSize: number) => Math.ceil(poolSize / 5);

/**
 * PostgreSQL through two postgres.js pools: one for single statements, and a smaller one that
 * serves only transactions. postgres.js may pipeline a BEGIN behind queries still in flight on a
 * busy connection, and when that BEGIN is the one that fills the pipeline it never reserves the
 * connection for the transaction, which then fails with UNSAFE_TRANSACTION under load. A pool that carries nothing but transactions never has a busy connection
 * to pipeline onto: each BEGIN waits for an idle one.
 */
export function connectPostgres(url: string, poolSize: number, preparedStatements = true): DatabaseHandle {
  const connect = (max: number) =>
    postgres(url, {
      max,
      // Unnamed statements instead: a transaction-mode pooler without prepared-statement support
      // hands each statement to any server connection, where a named one may not exist.
      prepare: preparedStatements,
      // Fail fast when the server is unreachable instead of queueing requests for 30 s.
      connect_timeout: 5,
      // Reconnect soon after an outage (the default backs off to 20 s between attempts).
      backoff: (attempt: number) => Math.min(0.25 * 2 ** attempt, 2),
      idle_timeout: 60,
      onnotice: () => {},
      // PGlite's defaults, whatever the server's: timestamps then come back as UTC text in ISO
      // form, which src/db/timestamps.ts turns into the API's form without a Date.
      connection: { TimeZone: 'UTC', DateStyle: 'ISO, MDY' },
      ...SHALLOW_PIPELINE,
    });
  const statements = connect(poolSize);
  const transactions = connect(transactionPoolSize(poolSize));
  // Drizzle starts its transactions with the client's begin(): that one comes from the other pool.
  const client = new Proxy(statements, {
    get: (target, key) => (key === 'begin' ? transactions.begin : Reflect.get(target, key)),
  });
  const db = drizzlePostgres(client, { schema });
  // Drizzle sets its value parsers on the client it is given; the transactions' must match.
  Object.assign(transactions.options.parsers, statements.options.parsers);
  Object.assign(transactions.options.serializers, statements.options.serializers);
  const handle: DatabaseHandle = {
    db,
    kind: 'postgres',
    traced: (telemetry) => ({
      ...handle,
      db: drizzlePostgres(tracePostgres(client, telemetry), { schema }),
      execute: (text, values) => traceStatement(telemetry, text, () => handle.execute(text, values)),
    }),
    execute: async (text, values = []) => {
      if (values.length > 0) {
        const rows: Record<string, unknown>[] = await statements.unsafe(text, values as never[]);
        return { rows: [...rows] };
      }
      // Without parameters the text may be several statements, a transaction among them, sent in
      // the simple protocol: postgres.js allows that only on a connection reserved for it.
      const connection = await statements.reserve();
      try {
        const results: unknown[] = await connection.unsafe(text);
        const last = Array.isArray(results.at(-1)) ? (results.at(-1) as unknown[]) : results;
        return { rows: [...last] as Record<string, unknown>[] };
      } catch (error) {
        // A statement that failed after a BEGIN leaves its transaction open (and aborted): end it
        // before the connection goes back to the pool.
        await connection.unsafe('rollback');
        throw error;
      } finally {
        connection.release();
      }
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      await Promise.all([statements.end({ timeout: 5 }), transactions.end({ timeout: 5 })]);
    },
  };
  return handle;
}
