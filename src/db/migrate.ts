/**
 * Migrations: the committed drizzle-kit history under drizzle/, applied at run time.
 * On PostgreSQL they run under an advisory lock, so instances starting together cannot race.
 * (The embedded database's are in embedded.ts, with the rest of the code that loads PGlite.)
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgresJs } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

/**
 * The package's drizzle/ folder: the nearest one at or above `start` that holds the journal.
 * Looked up rather than fixed, because this module runs from src/db (tsx), from dist/db (the
 * compiled scripts) and, inlined, from the production bundle dist/server.js.
 */
export function findMigrationsFolder(start: string): string {
  for (let folder = start; ; folder = dirname(folder)) {
    const candidate = join(folder, 'drizzle');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    if (dirname(folder) === folder) throw new Error(`no drizzle/meta/_journal.json at or above ${start}`);
  }
}

export const migrationsFolder = findMigrationsFolder(dirname(fileURLToPath(import.meta.url)));

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
