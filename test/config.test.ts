import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ConfigError, loadConfig } from '../src/config.js';

const SECRET = 'a-production-secret-of-at-least-32-bytes';

/** The ConfigError loadConfig throws for this environment (fails the test if it does not throw). */
function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const SERVER_ENTRY = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const emptyDir = mkdtempSync(join(tmpdir(), 'bucketlist-server-'));
t.teardown(() => rmSync(emptyDir, { recursive: true, force: true }));

/**
 * Runs the real server entry point (`node --import tsx src/server.ts`) with only the given
 * environment, from an empty folder so that no developer's .env file is read.
 */
function startServer(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), SERVER_ENTRY], {
    cwd: emptyDir,
    // No coverage from the child (another loader): see test/production/server-process.ts.
    env: { PATH: process.env.PATH ?? '', _TAPJS_PROCESSINFO_COVERAGE_: '0', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

t.test('an empty environment gives the documented defaults', async (t) => {
  const { config } = loadConfig({});
  t.same(config, {
    env: 'development',
    host: '127.0.0.1',
    port: 3000,
    logLevel: 'info',
    database: { kind: 'pglite', dataDir: './data/pglite' },
    auth: {
      jwtSecret: config.auth.jwtSecret,
      accessTokenTtl: 900,
      refreshTokenTtl: 30 * 24 * 3600,
      rateLimitMax: 10,
      rateLimitWindowSeconds: 60,
    },
    migrateOnStart: true,
    rateLimitStore: { kind: 'memory' },
    idempotencyKeyTtlSeconds: 86400,
    trustProxy: false,
    corsOrigins: [],
    jobs: { workersInProcess: true, timeoutSeconds: 900, pollIntervalSeconds: 2 },
    exports: { ttlSeconds: 24 * 3600 },
    tracing: undefined,
  });
  t.ok(Buffer.byteLength(config.auth.jwtSecret) >= 32, 'the development secret is still 32 bytes or more');
});

t.test(
  'REDIS_URL moves the rate-limit counters to Redis, under the key prefix; its value is never echoed',
  async (t) => {
    const { config } = loadConfig({ REDIS_URL: 'redis://:secret@cache:6379/2', REDIS_KEY_PREFIX: 'api:' });
    t.same(config.rateLimitStore, { kind: 'redis', url: 'redis://:secret@cache:6379/2', keyPrefix: 'api:' });
    t.throws(() => loadConfig({ REDIS_URL: 'http://:secret@cache' }), {
      message: /^invalid environment variable REDIS_URL=\(value hidden\): /,
    });
  },
);

t.test('behind PgBouncer: prepared statements and migrations at start can be turned off', async (t) => {
  const { config } = loadConfig({
    DATABASE_URL: 'postgres://app@pgbouncer:6432/app',
    DATABASE_PREPARED_STATEMENTS: 'false',
    MIGRATE_ON_START: 'false',
  });
  t.same(config.database, {
    kind: 'postgres',
    url: 'postgres://app@pgbouncer:6432/app',
    poolSize: 10,
    preparedStatements: false,
  });
  t.equal(config.migrateOnStart, false);
});

t.test(
  'WORKERS_IN_PROCESS=false leaves the jobs to `npm run worker` processes; a fraction of a second polls',
  async (t) => {
    const { config } = loadConfig({ WORKERS_IN_PROCESS: 'false', JOB_POLL_INTERVAL: '0.5' });
    t.equal(config.jobs.workersInProcess, false);
    t.equal(config.jobs.pollIntervalSeconds, 0.5);
    t.throws(() => loadConfig({ JOB_POLL_INTERVAL: '0.1' }), /JOB_POLL_INTERVAL/);
  },
);

t.test('empty strings count as unset', async (t) => {
  const { config } = loadConfig({ PORT: '', LOG_LEVEL: '', DATABASE_URL: '', TRUST_PROXY: '' });
  t.equal(config.port, 3000);
  t.equal(config.logLevel, 'info');
  t.equal(config.database.kind, 'pglite');
  t.equal(config.trustProxy, false);
});

t.test('numbers arrive as text and are converted', async (t) => {
  const { config } = loadConfig({ PORT: '8080', ACCESS_TOKEN_TTL: '600', AUTH_RATE_LIMIT_MAX: '3' });
  t.equal(config.port, 8080);
  t.equal(config.auth.accessTokenTtl, 600);
  t.equal(config.auth.rateLimitMax, 3);
});

t.test('a PORT that is not a number is a one-line ConfigError naming PORT and its value', async (t) => {
  const error = configErrorOf({ PORT: 'abc' });
  t.equal(error.name, 'ConfigError');
  t.match(error.message, /^invalid environment variable PORT="abc": /);
  t.notMatch(error.message, /\n/);
});

t.test('a PORT out of range quotes the value as it was given', async (t) => {
  t.match(configErrorOf({ PORT: '70000' }).message, /^invalid environment variable PORT="70000": .*65535/);
});

t.test('an unknown LOG_LEVEL is a ConfigError that lists the allowed levels', async (t) => {
  t.equal(
    configErrorOf({ LOG_LEVEL: 'loud' }).message,
    'invalid environment variable LOG_LEVEL="loud": must be one of fatal, error, warn, info, debug, trace, silent',
  );
});

t.test('an unknown NODE_ENV is a ConfigError naming NODE_ENV', async (t) => {
  t.match(
    configErrorOf({ NODE_ENV: 'staging' }).message,
    /^invalid environment variable NODE_ENV="staging": must be one of/,
  );
});

t.test('a DATABASE_URL that is not PostgreSQL is a ConfigError that does not echo the URL', async (t) => {
  const error = configErrorOf({ DATABASE_URL: 'mysql://admin:hunter2@db.example.com/app' });
  t.match(error.message, /^invalid environment variable DATABASE_URL=/);
  t.notMatch(error.message, /hunter2/, 'credentials in the URL stay out of the message');
  t.notMatch(error.message, /\n/);
});

t.test('a PostgreSQL DATABASE_URL selects the postgres driver with the pool size', async (t) => {
  const { config } = loadConfig({ DATABASE_URL: 'postgresql://app@db.example.com/app', DATABASE_POOL_SIZE: '25' });
  t.same(config.database, { kind: 'postgres', url: 'postgresql://app@db.example.com/app', poolSize: 25 });
});

t.test('production without JWT_SECRET refuses to start', async (t) => {
  const error = configErrorOf({ NODE_ENV: 'production' });
  t.match(error.message, /^JWT_SECRET is not set: production needs a random secret of at least 32 bytes$/);
});

t.test('production with a JWT_SECRET under 32 bytes refuses to start', async (t) => {
  const error = configErrorOf({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) });
  t.match(error.message, /^JWT_SECRET is shorter than 32 bytes/);
  t.notMatch(error.message, /x{31}/, 'the secret itself is not echoed');
});

t.test('the JWT_SECRET length is counted in bytes, not characters', async (t) => {
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'é'.repeat(15) }), ConfigError);
  const { config, warnings } = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'é'.repeat(16) });
  t.equal(config.auth.jwtSecret, 'é'.repeat(16));
  t.same(warnings, []);
});

t.test('production with a long enough secret uses it and warns about nothing', async (t) => {
  const { config, warnings } = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET });
  t.equal(config.env, 'production');
  t.equal(config.auth.jwtSecret, SECRET);
  t.same(warnings, []);
});

t.test('development without JWT_SECRET warns and uses a development default', async (t) => {
  const { config, warnings } = loadConfig({ NODE_ENV: 'development' });
  t.equal(warnings.length, 1);
  t.match(warnings[0], /^JWT_SECRET is not set; using a development default/);
  t.type(config.auth.jwtSecret, 'string');
});

t.test('development with a short JWT_SECRET warns and uses that secret', async (t) => {
  const { config, warnings } = loadConfig({ JWT_SECRET: 'short' });
  t.equal(config.auth.jwtSecret, 'short');
  t.equal(warnings.length, 1);
  t.match(warnings[0], /^JWT_SECRET is shorter than 32 bytes/);
});

t.test('TRUST_PROXY empty or "false" trusts no proxy', async (t) => {
  t.equal(loadConfig({}).config.trustProxy, false);
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).config.trustProxy, false);
  t.equal(loadConfig({ TRUST_PROXY: 'FALSE' }).config.trustProxy, false);
});

t.test('TRUST_PROXY "true" trusts every proxy', async (t) => {
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).config.trustProxy, true);
});

t.test('TRUST_PROXY as a bare number is a ConfigError (it is not an address)', async (t) => {
  t.match(configErrorOf({ TRUST_PROXY: '2' }).message, /^invalid environment variable TRUST_PROXY="2"/);
});

t.test('TRUST_PROXY as a list of addresses and ranges is split and trimmed', async (t) => {
  t.same(
    loadConfig({ TRUST_PROXY: ' 10.0.0.1, 192.168.0.0/16 ,fd00::/8, loopback,10.1.0.0/255.255.0.0' }).config.trustProxy,
    ['10.0.0.1', '192.168.0.0/16', 'fd00::/8', 'loopback', '10.1.0.0/255.255.0.0'],
  );
});

t.test('TRUST_PROXY with something that is not an address is a ConfigError, not a crash at boot', async (t) => {
  t.match(
    configErrorOf({ TRUST_PROXY: '10.0.0.1, proxy.internal' }).message,
    /^invalid environment variable TRUST_PROXY=.*"proxy\.internal"/,
  );
  t.match(configErrorOf({ TRUST_PROXY: '10.0.0.0/33' }).message, /TRUST_PROXY/);
});

t.test('CORS_ORIGINS is split into normalised origins', async (t) => {
  t.same(loadConfig({}).config.corsOrigins, []);
  t.same(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173/' }).config.corsOrigins, [
    'https://app.example.com',
    'http://localhost:5173',
  ]);
});

t.test('CORS_ORIGINS with something that is not an origin is a ConfigError', async (t) => {
  t.match(
    configErrorOf({ CORS_ORIGINS: 'https://app.example.com/path' }).message,
    /^invalid environment variable CORS_ORIGINS=/,
  );
  t.match(configErrorOf({ CORS_ORIGINS: 'app.example.com' }).message, /CORS_ORIGINS/);
});

t.test('ACCESS_TOKEN_TTL may be at most an hour', async (t) => {
  t.equal(loadConfig({ ACCESS_TOKEN_TTL: '3600' }).config.auth.accessTokenTtl, 3600);
  t.match(configErrorOf({ ACCESS_TOKEN_TTL: '3601' }).message, /^invalid environment variable ACCESS_TOKEN_TTL="3601"/);
});

t.test('ACCESS_TOKEN_TTL must be at least a minute', async (t) => {
  t.match(configErrorOf({ ACCESS_TOKEN_TTL: '59' }).message, /ACCESS_TOKEN_TTL/);
});

t.test('the server process exits 1 with a one-line message when PORT is not a number', async (t) => {
  const result = startServer({ PORT: 'abc' });
  t.equal(result.status, 1);
  t.equal(result.stderr, 'bucketlist-api: invalid environment variable PORT="abc": Expected integer\n');
  t.equal(result.stdout, '');
});

t.test('the server process exits 1 in production without a JWT secret', async (t) => {
  const result = startServer({ NODE_ENV: 'production' });
  t.equal(result.status, 1);
  t.equal(
    result.stderr,
    'bucketlist-api: JWT_SECRET is not set: production needs a random secret of at least 32 bytes\n',
  );
});
