/**
 * `npm run db:migrate`: applies pending migrations to the configured database and exits. For
 * deployments with several instances, run this once per release before starting them. It also
 * installs or upgrades the job queue's schema.
 */
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { migrateQueue } from '../jobs/queue.js';

if (existsSync('.env')) process.loadEnvFile('.env');
try {
  const { config } = loadConfig();
  const handle = await openDatabase(config.database, { migrate: true });
  // The job queue's own schema (pgboss), which pg-boss versions and upgrades itself.
  await migrateQueue(handle, config.jobs);
  await handle.close();
  console.log(`migrations applied (${config.database.kind})`);
} catch (error) {
  console.error(`db:migrate: ${error instanceof ConfigError ? error.message : String(error)}`);
  process.exit(1);
}
