/**
 * A fleet on real parts, as deploy/README.md describes it: PgBouncer (transaction mode) in front
 * of PostgreSQL, several API processes on it sharing Redis for their rate limits, and nginx in
 * front of them, all from the templates under deploy/. Every process is the test's own and is
 * stopped when the test ends.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { migratePostgres } from '../../src/db/migrate.js';
import { TEST_SECRET } from '../helper.js';
import { repoRoot, sourceServerArgs } from '../production/server-process.js';
import { deleteKeys, SHARED_REDIS_URL, sharedRedisMissing, testKeyPrefix } from '../setup/redis.js';

/** What stops the fleet: a tap test, or the bench's own list of cleanups. */
export interface Cleanup {
  teardown(fn: () => unknown): void;
}

/** The fleet's ports, in the range this test owns: nginx, PgBouncer, then one per API instance. */
const PORTS = { nginx: 4400, pgbouncer: 4432, firstApi: 4401 };

const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const binary = (name: string) =>
  ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']
    .map((folder) => join(folder, name))
    .find((path) => spawnSync(path, ['-V']).error === undefined);

/** PgBouncer's version, e.g. [1, 18]. */
export function pgbouncerVersion(path: string): [number, number] {
  const text = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout;
  const [, major = '0', minor = '0'] = /PgBouncer (\d+)\.(\d+)/.exec(text) ?? [];
  return [Number(major), Number(minor)];
}

/** The fleet's programs that are not installed (Debian packages them under the same names). */
export const missingPrograms = (): string[] => ['nginx', 'pgbouncer'].filter((name) => !binary(name));

/** Why the fleet cannot run on this machine's programs and Redis, or undefined. */
export async function fleetPartsMissing(): Promise<string | undefined> {
  const [program] = missingPrograms();
  if (program) return `${program} is not installed (.ci/run installs it)`;
  return sharedRedisMissing();
}

/** Why the fleet test cannot run here, or undefined. */
export async function fleetMissing(): Promise<string | undefined> {
  if (!process.env.TEST_DATABASE_URL) return 'runs with TEST_DATABASE_URL (PgBouncer needs a PostgreSQL server)';
  return fleetPartsMissing();
}

/** A template from deploy/ with its {{PLACEHOLDERS}} filled in. */
export function renderTemplate(name: string, values: Record<string, string>): string {
  return readFileSync(join(repoRoot, 'deploy', name), 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (_match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`deploy/${name}: no value for {{${key}}}`);
    return value;
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(what: string, ready: () => Promise<boolean>, output: () => string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up in time:\n${output()}`);
    await sleep(100);
  }
}

export interface FleetProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<unknown>;
}

/**
 * Starts a process, stopped when the test ends: SIGTERM first (nginx's master then takes its
 * workers with it; a SIGKILL would leave them running), SIGKILL if it lingers.
 */
function run(t: Cleanup, command: string, args: string[], env: Record<string, string> = {}): FleetProcess {
  const child = spawn(command, args, {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', _TAPJS_PROCESSINFO_COVERAGE_: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(5000, false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, output: () => output, exited };
}

export interface Fleet {
  /** nginx, the fleet's one address. */
  url: string;
  /** Each API instance, directly. */
  apis: { url: string; process: FleetProcess }[];
  /** PostgreSQL directly, on the fleet's database. */
  sql: postgres.Sql;
  /** Whether the API instances use named prepared statements (through PgBouncer 1.21+). */
  preparedStatements: boolean;
}

export interface FleetOptions {
  instances: number;
  /** Environment of every API instance, over the fleet's own. */
  env?: Record<string, string>;
  /** Node's arguments for each instance (the script last); the TypeScript sources when not given. */
  serverArgs?: string[];
  /**
   * An existing, migrated database to run on (the bench's seeded one), which the fleet neither
   * creates nor drops; a fresh database on TEST_DATABASE_URL's server when not given.
   */
  databaseUrl?: string;
}

export async function startFleet(t: Cleanup, options: FleetOptions): Promise<Fleet> {
  const ports = [
    PORTS.nginx,
    PORTS.pgbouncer,
    ...Array.from({ length: options.instances }, (_, i) => PORTS.firstApi + i),
  ];
  for (const port of ports) {
    // A process left from an interrupted run would answer in place of the new one.
    if (await portOpen(port)) throw new Error(`port ${port} is already in use; stop what listens there`);
  }
  const runDir = mkdtempSync(join(tmpdir(), 'scale-fleet-'));
  // PgBouncer will not run as root and nginx's workers drop to nobody: both write here.
  chmodSync(runDir, 0o777);
  t.teardown(() => rmSync(runDir, { recursive: true, force: true }));

  const given = options.databaseUrl;
  const { url: databaseUrl, drop } = given ? { url: given, drop: async () => {} } : await freshDatabase();
  const direct = new URL(databaseUrl);
  const database = direct.pathname.slice(1);
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  t.teardown(async () => {
    await sql.end({ timeout: 5 });
    await drop();
  });

  const pgbouncer = binary('pgbouncer') as string;
  const [major, minor] = pgbouncerVersion(pgbouncer);
  const preparedStatements = major > 1 || (major === 1 && minor >= 21);
  writeFileSync(join(runDir, 'userlist.txt'), `"${direct.username || 'postgres'}" ""\n`);
  writeFileSync(
    join(runDir, 'pgbouncer.ini'),
    renderTemplate('pgbouncer.ini', {
      DATABASE: database,
      POSTGRES_HOST: direct.hostname,
      POSTGRES_PORT: direct.port || '5432',
      LISTEN_PORT: String(PORTS.pgbouncer),
      RUN_DIR: runDir,
      PREPARED_STATEMENTS: preparedStatements ? 'max_prepared_statements = 200' : '',
    }),
  );
  const isRoot = process.getuid?.() === 0;
  const bouncer = run(t, pgbouncer, [...(isRoot ? ['-u', 'postgres'] : []), join(runDir, 'pgbouncer.ini')]);
  await waitFor(
    'PgBouncer',
    () => portOpen(PORTS.pgbouncer),
    () => bouncer.output() + readLog(runDir, 'pgbouncer.log'),
  );

  const pooled = new URL(direct);
  pooled.host = `127.0.0.1:${PORTS.pgbouncer}`;
  const prefix = testKeyPrefix(`fleet-${randomBytes(3).toString('hex')}`);
  t.teardown(() => deleteKeys(prefix));
  const apis = [];
  for (let index = 0; index < options.instances; index++) {
    const port = PORTS.firstApi + index;
    const api = run(t, process.execPath, options.serverArgs ?? ['--max-old-space-size=256', ...sourceServerArgs], {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET: TEST_SECRET,
      LOG_LEVEL: 'warn',
      DATABASE_URL: pooled.toString(),
      DATABASE_POOL_SIZE: '5',
      DATABASE_PREPARED_STATEMENTS: String(preparedStatements),
      MIGRATE_ON_START: 'false',
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      TRUST_PROXY: '127.0.0.1',
      ...options.env,
    });
    apis.push({ url: `http://127.0.0.1:${port}`, process: api });
  }
  for (const api of apis) {
    await waitFor(`the API at ${api.url}`, () => answers(`${api.url}/readyz`), api.process.output);
  }

  const upstreams = apis.map((api) => `server ${new URL(api.url).host} max_fails=1 fail_timeout=10s;`).join('\n    ');
  writeFileSync(
    join(runDir, 'nginx.conf'),
    renderTemplate('nginx.conf', { RUN_DIR: runDir, LISTEN_PORT: String(PORTS.nginx), UPSTREAM_SERVERS: upstreams }),
  );
  const nginx = run(t, binary('nginx') as string, [
    '-c',
    join(runDir, 'nginx.conf'),
    '-p',
    runDir,
    '-g',
    'daemon off;',
  ]);
  const url = `http://127.0.0.1:${PORTS.nginx}`;
  await waitFor(
    'nginx',
    () => answers(`${url}/readyz`),
    () => nginx.output() + readLog(runDir, 'nginx-error.log'),
  );
  return { url, apis, sql, preparedStatements };
}

/** A migrated database of the fleet's own on TEST_DATABASE_URL's server, and how to drop it. */
async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const database = `scale_fleet_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${database}"`);
  await admin.end();
  const direct = new URL(ADMIN_URL);
  direct.pathname = `/${database}`;
  // Migrations straight to PostgreSQL: their session-level advisory lock needs one server session.
  await migratePostgres(direct.toString());
  return {
    url: direct.toString(),
    drop: async () => {
      const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists "${database}" with (force)`);
      await cleanup.end();
    },
  };
}

function readLog(runDir: string, name: string): string {
  try {
    return readFileSync(join(runDir, name), 'utf8');
  } catch {
    return '';
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}
