/**
 * The embedded database: PGlite on a data folder, with its settings, migrations and Drizzle
 * handle. Every module that loads PGlite is reached from here, and client.ts imports this one
 * only when the embedded database is configured.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { DatabaseConfig } from '../config.js';
import type { DatabaseHandle, OpenOptions } from './client.js';
import { claimDataDir } from './data-dir-lock.js';
import { migrationsFolder } from './migrate.js';
import { withPreparedStatements } from './pglite-statements.js';
import * as schema from './schema.js';
import { tracePglite, traceStatement } from './tracing.js';

/**
 * The embedded database's buffer pool. Emscripten zero-fills the shared memory PostgreSQL asks
 * for at start, so PGlite's default of 128 MB would cost every start the time to fill it and as
 * much resident memory. A small pool holds a development working set; a page beyond it comes from
 * the data folder through the operating system's file cache.
 */
export const EMBEDDED_SHARED_BUFFERS = '16MB';

/** A PGlite on a data folder (initialised when empty), or in memory without one, with these settings. */
export function startPGlite(dataDir?: string): Promise<PGlite> {
  return PGlite.create({
    dataDir,
    // A query resolves only after its writes were handed to the file system. On a data folder
    // (NodeFS) PostgreSQL writes through to the files already, so a commit that was answered
    // survives the process being killed; the setting keeps that true of any file system PGlite uses.
    relaxedDurability: false,
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`],
  });
}

export async function migrateEmbedded(client: PGlite): Promise<void> {
  await migratePglite(drizzlePglite(client), { migrationsFolder });
}

/** A handle over a PGlite instance (a data folder, or memory:// for throwaway uses). */
export function wrapEmbedded(client: PGlite): DatabaseHandle {
  const prepared = withPreparedStatements(client);
  const db = drizzlePglite({ client: prepared, schema });
  const handle: DatabaseHandle = {
    db,
    kind: 'pglite',
    traced: (telemetry) => ({
      ...handle,
      db: drizzlePglite({ client: tracePglite(prepared, telemetry), schema }),
      execute: (text, values) => traceStatement(telemetry, text, () => handle.execute(text, values)),
    }),
    execute: async (text, values = []) => {
      if (values.length > 0) {
        const { rows } = await client.query<Record<string, unknown>>(text, values);
        return { rows };
      }
      // exec() runs several statements (query() only one); the rows are the last one's. A statement
      // that fails after a BEGIN leaves its transaction open and aborted: it is ended here.
      const results = await client.exec(text).catch(async (error: unknown) => {
        await client.exec('rollback');
        throw error;
      });
      return { rows: (results.at(-1)?.rows ?? []) as Record<string, unknown>[] };
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.close(),
  };
  return handle;
}

export async function openEmbedded(
  config: Extract<DatabaseConfig, { kind: 'pglite' }>,
  options: OpenOptions,
): Promise<DatabaseHandle> {
  if (config.dataDir.startsWith('memory://')) return openClient(config.dataDir, options);
  mkdirSync(config.dataDir, { recursive: true });
  const release = claimDataDir(config.dataDir);
  try {
    const handle = await openClient(config.dataDir, options);
    return { ...handle, close: () => handle.close().finally(release) };
  } catch (error) {
    release();
    throw error;
  }
}

async function openClient(dataDir: string, options: OpenOptions): Promise<DatabaseHandle> {
  const client = await startPGlite(dataDir);
  if (options.migrate) await migrateEmbedded(client);
  return wrapEmbedded(client);
}
