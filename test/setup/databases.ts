/**
 * Test databases. Migrations run once per test run into a template (a PGlite data folder, or a
 * PostgreSQL template database when TEST_DATABASE_URL is set); every test file then gets its
 * own copy, so parallel files never share rows.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import PgBoss from 'pg-boss';
import postgres from 'postgres';
import { loadConfig } from '../../src/config.js';
import { connectPostgres, type DatabaseHandle } from '../../src/db/client.js';
import { migrateEmbedded, startPGlite, wrapEmbedded } from '../../src/db/embedded.js';
import { migratePostgres, migrationsFolder } from '../../src/db/migrate.js';
import { migrateQueue } from '../../src/jobs/queue.js';

const jobsConfig = loadConfig({}).config.jobs;

/** The PostgreSQL server to test against (an admin URL), or undefined for the embedded database. */
export const serverUrl = process.env.TEST_DATABASE_URL || undefined;

/**
 * Changes whenever a migration does (the queue's schema, which pg-boss installs, included), so a
 * stale template is never reused.
 */
function migrationsHash(): string {
  const hash = createHash('sha256').update(PgBoss.getConstructionPlans());
  for (const file of readdirSync(migrationsFolder).sort()) {
    if (file.endsWith('.sql')) hash.update(file).update(readFileSync(join(migrationsFolder, file)));
  }
  return hash.digest('hex').slice(0, 12);
}

const templateName = `bucketlist_template_${migrationsHash()}`;
const templateDir = resolve('.tap', 'databases', templateName);

const urlFor = (database: string) => {
  const url = new URL(serverUrl as string);
  url.pathname = `/${database}`;
  return url.toString();
};

const admin = () => postgres(serverUrl as string, { max: 1, onnotice: () => {} });

/** Builds the template once per test run (called from tap's `before` script). */
export async function prepareTemplate(): Promise<void> {
  if (serverUrl) {
    const sql = admin();
    try {
      const [found] = await sql`select 1 from pg_database where datname = ${templateName}`;
      if (!found) {
        await sql.unsafe(`create database "${templateName}_building"`);
        await migratePostgres(urlFor(`${templateName}_building`));
        const building = connectPostgres(urlFor(`${templateName}_building`), 1);
        await migrateQueue(building, jobsConfig);
        await building.close();
        await sql.unsafe(`alter database "${templateName}_building" rename to "${templateName}"`);
      }
    } finally {
      await sql.end();
    }
    return;
  }
  if (existsSync(templateDir)) return;
  const building = `${templateDir}.${process.pid}`;
  mkdirSync(building, { recursive: true });
  const client = await startPGlite(building);
  await migrateEmbedded(client);
  await migrateQueue(wrapEmbedded(client), jobsConfig);
  await client.close();
  renameSync(building, templateDir);
}

/** A fresh, migrated database of its own for one test file; `close` also deletes it. */
export async function openTestDatabase(): Promise<DatabaseHandle & { url?: string }> {
  const name = `bucketlist_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (serverUrl) {
    const sql = admin();
    await sql.unsafe(`create database "${name}" template "${templateName}"`);
    await sql.end();
    const url = urlFor(name);
    const handle = connectPostgres(url, 10);
    return {
      ...handle,
      url,
      close: async () => {
        await handle.close();
        const cleanup = admin();
        await cleanup.unsafe(`drop database if exists "${name}" with (force)`);
        await cleanup.end();
      },
    };
  }
  const dataDir = join(tmpdir(), name);
  cpSync(templateDir, dataDir, { recursive: true });
  const handle = wrapEmbedded(await startPGlite(dataDir));
  return {
    ...handle,
    close: async () => {
      await handle.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
