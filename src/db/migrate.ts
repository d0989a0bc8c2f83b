/**
 * Migrations: the committed drizzle-kit history under drizzle/, applied at run time.
 * On PostgreSQL they run under an advisory lock, so instances starting together cannot race.
 */
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgresJs } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

/** The same path from src/db and from the compiled dist/db. */
export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

// An arbitrary, fixed key for pg_advisory_lock: "bucketlist" in ASCII, truncated to 64 bits.
const MIGRATION_LOCK_KEY = 0x6275636b65746c69n;

export async function migratePostgres(url: string): Promise<void> {
  // One connection, so the session-level lock and the migration share it.
  const client = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    await migratePostgresJs(drizzle(client), { migrationsFolder });
  } finally {
    await client.end({ timeout: 5 });
  }
}

export async function migrateEmbedded(client: PGlite): Promise<void> {
  await migratePglite(drizzlePglite(client), { migrationsFolder });
}
