/**
 * `npm run db:seed`: fills the configured database (embedded PGlite folder by default, PostgreSQL
 * with DATABASE_URL) with dummy users, bucketlists and items, and prints a login to try them with.
 *
 *   npm run db:seed -- --users 100 --bucketlists 100 --items 10
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { plannedRows, type SeedProgress, seedDatabase } from '../db/seed.js';
import { hashPassword } from '../routes/v1/auth/credentials.js';

const USAGE = `usage: npm run db:seed -- [--users N] [--bucketlists N] [--items N] [--password P] [--random-seed N]

  --users N         users to create (default 10)
  --bucketlists N   bucketlists per user (default 5)
  --items N         items per bucketlist (default 10)
  --password P      the password all seeded users share (default: a random one, printed at the end)
  --random-seed N   seed of the name generator, for reproducible content

The database is the app's: DATABASE_URL if set, otherwise the embedded one in DATA_DIR.`;

function fail(message: string): never {
  console.error(`db:seed: ${message}`);
  process.exit(1);
}

function count(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value)) fail(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** A one-line progress bar on stderr when it is a terminal; otherwise a line every 10%. */
function progressBar(started: number) {
  const width = 30;
  let lastDraw = 0;
  let lastDecile = -1;
  return (progress: SeedProgress) => {
    const ratio = progress.total === 0 ? 1 : progress.done / progress.total;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const numbers = `${progress.done.toLocaleString('en')}/${progress.total.toLocaleString('en')} rows`;
    if (process.stderr.isTTY) {
      const now = performance.now();
      if (now - lastDraw < 100 && progress.done < progress.total) return;
      lastDraw = now;
      const filled = Math.round(ratio * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      const percent = `${Math.floor(ratio * 100)}`.padStart(3);
      process.stderr.write(`\r${bar} ${percent}% ${numbers} (${progress.phase}) ${seconds}s\x1b[K`);
      if (progress.done >= progress.total) process.stderr.write('\n');
      return;
    }
    const decile = Math.floor(ratio * 10);
    if (decile === lastDecile) return;
    lastDecile = decile;
    process.stderr.write(`${decile * 10}% ${numbers} ${seconds}s\n`);
  };
}

const OPTIONS = {
  users: { type: 'string' },
  bucketlists: { type: 'string' },
  items: { type: 'string' },
  password: { type: 'string' },
  'random-seed': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
let args: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
try {
  args = parseArgs({ options: OPTIONS, strict: true }).values;
} catch (error) {
  fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const sizes = {
  users: count(args.users, 10, 'users'),
  bucketlists: count(args.bucketlists, 5, 'bucketlists'),
  items: count(args.items, 10, 'items'),
};
if (sizes.users < 1) fail('--users must be at least 1');
const randomSeed = args['random-seed'] === undefined ? undefined : count(args['random-seed'], 0, 'random-seed');
const password = args.password ?? randomBytes(9).toString('base64url');
if (password.length < 8 || password.length > 128) fail('--password must be 8 to 128 characters (as for registration)');

if (existsSync('.env')) process.loadEnvFile('.env');
let config: ReturnType<typeof loadConfig>['config'];
try {
  config = loadConfig().config;
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  fail(error.message);
}

const where =
  config.database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.database.dataDir}`;
const planned = plannedRows(sizes);
console.error(
  `Seeding ${where}: ${planned.users.toLocaleString('en')} users, ${planned.bucketlists.toLocaleString('en')} bucketlists, ${planned.items.toLocaleString('en')} items`,
);

const opening = performance.now();
const handle = await openDatabase(config.database, { migrate: true });
const openSeconds = ((performance.now() - opening) / 1000).toFixed(1);
try {
  const passwordHash = await hashPassword(password);
  const started = performance.now();
  const summary = await seedDatabase(handle.db, sizes, { passwordHash, randomSeed }, progressBar(started));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `Seeded ${summary.users.toLocaleString('en')} users, ${summary.bucketlists.toLocaleString('en')} bucketlists and ${summary.items.toLocaleString('en')} items in ${seconds} s (opening and migrating the database took ${openSeconds} s).`,
  );
  console.log(`Log in with:  email ${summary.firstEmail}  password ${password}`);
  console.log('(every seeded user has this password)');
} catch (error) {
  process.exitCode = 1;
  console.error(`\ndb:seed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await handle.close();
}
