/**
 * Configuration: the environment schema and its loader. The environment is read here once,
 * validated, and handed to the app as a typed object; nothing else reads process.env.
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';

const DEVELOPMENT_JWT_SECRET = 'development-only-secret-do-not-use-in-production';
const MIN_SECRET_BYTES = 32;

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  DATABASE_PREPARED_STATEMENTS: Type.Boolean({ default: true }),
  MIGRATE_ON_START: Type.Boolean({ default: true }),
  DATA_DIR: Type.String({ minLength: 1, default: './data/pglite' }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  ACCESS_TOKEN_TTL: Type.Integer({ minimum: 60, maximum: 3600, default: 900 }),
  REFRESH_TOKEN_TTL: Type.Integer({ minimum: 300, maximum: 90 * 24 * 3600, default: 30 * 24 * 3600 }),
  AUTH_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 10 }),
  AUTH_RATE_LIMIT_WINDOW: Type.Integer({ minimum: 1, default: 60 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_KEY_PREFIX: Type.String({ default: 'bucketlist:' }),
  IDEMPOTENCY_KEY_TTL: Type.Integer({ minimum: 60, maximum: 7 * 24 * 3600, default: 24 * 3600 }),
  TRUST_PROXY: Type.String({ default: '' }),
  CORS_ORIGINS: Type.String({ default: '' }),
  WORKERS_IN_PROCESS: Type.Boolean({ default: true }),
  JOB_TIMEOUT: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
  JOB_POLL_INTERVAL: Type.Number({ minimum: 0.5, maximum: 60, default: 2 }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  OTEL_SERVICE_NAME: Type.String({ minLength: 1, default: 'bucketlist-api' }),
  EXPORT_TTL: Type.Integer({ minimum: 60, maximum: 30 * 24 * 3600, default: 24 * 3600 }),
});

export type Env = Static<typeof EnvSchema>;

export interface PostgresConfig {
  kind: 'postgres';
  url: string;
  poolSize: number;
  /** Named (server-side) prepared statements; on unless set false. */
  preparedStatements?: boolean;
}

/** A configuration problem, reported as one line before the process exits. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const splitList = (value: string) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

// Values that may carry credentials are never echoed into an error message (and so into logs).
const SECRET_VARIABLES = new Set(['DATABASE_URL', 'JWT_SECRET', 'REDIS_URL']);

function invalid(name: string, value: string | undefined, reason: string): ConfigError {
  const shown = SECRET_VARIABLES.has(name) ? '(value hidden)' : JSON.stringify(value ?? '');
  return new ConfigError(`invalid environment variable ${name}=${shown}: ${reason}`);
}

/** TypeBox says "Expected union value" for a bad enum; name the allowed values instead. */
function reasonOf(error: ValueError): string {
  const options = (error.schema as TSchema & { anyOf?: { const?: unknown }[] }).anyOf;
  if (options?.every((option) => typeof option.const === 'string')) {
    return `must be one of ${options.map((option) => option.const).join(', ')}`;
  }
  return error.message;
}

// The names @fastify/proxy-addr knows for well-known ranges.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IP address, a CIDR range (`10.0.0.0/8`, `fd00::/8`) or an IPv4 address/netmask. */
function isAddressOrRange(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', range, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (version === 4 ? 32 : 128);
  return version === 4 && isIP(range) === 4;
}

/**
 * TRUST_PROXY: empty or "false" trusts no proxy; "true" trusts every one; otherwise a list of
 * addresses or ranges. Checked here, because Fastify would otherwise throw an unreadable error
 * (`invalid IP address: false`) at boot.
 */
function parseTrustProxy(value: string): boolean | string[] {
  const lowered = value.trim().toLowerCase();
  if (lowered === '' || lowered === 'false') return false;
  if (lowered === 'true') return true;
  const entries = splitList(value);
  const bad = entries.find((entry) => !isAddressOrRange(entry));
  if (bad !== undefined) {
    throw invalid('TRUST_PROXY', value, `${JSON.stringify(bad)} is not true, false, an IP address or a range`);
  }
  return entries;
}

/** CORS_ORIGINS: a list of http(s) origins (`https://app.example.com`), normalised. */
function parseOrigins(value: string): string[] {
  return splitList(value).map((entry) => {
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    const isOrigin =
      url !== undefined &&
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      url.pathname === '/' &&
      !url.search &&
      !url.hash &&
      !url.username &&
      !url.password;
    if (!url || !isOrigin) throw invalid('CORS_ORIGINS', value, `${JSON.stringify(entry)} is not an http(s) origin`);
    return url.origin;
  });
}

/**
 * Validate the environment and derive the app's configuration from it.
 * Returns the config and any warnings to log once a logger exists.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env) {
  // Empty strings count as unset, as they do in most .env tooling.
  const raw = Object.fromEntries(
    Object.keys(EnvSchema.properties)
      .filter((key) => source[key] !== undefined && source[key] !== '')
      .map((key) => [key, source[key]]),
  );
  // Convert works in place; the error message must quote what was given, so convert a copy.
  const env = Value.Default(EnvSchema, Value.Convert(EnvSchema, { ...raw }));
  const error = Value.Errors(EnvSchema, env).First();
  if (error) {
    const name = error.path.replace(/^\//, '');
    throw invalid(name, source[name], reasonOf(error));
  }
  const valid = env as Env;
  const warnings: string[] = [];
  let jwtSecret = valid.JWT_SECRET;
  if (jwtSecret === undefined || Buffer.byteLength(jwtSecret) < MIN_SECRET_BYTES) {
    const problem = jwtSecret === undefined ? 'is not set' : `is shorter than ${MIN_SECRET_BYTES} bytes`;
    if (valid.NODE_ENV === 'production') {
      throw new ConfigError(
        `JWT_SECRET ${problem}: production needs a random secret of at least ${MIN_SECRET_BYTES} bytes`,
      );
    }
    const fallback = jwtSecret === undefined ? 'using a development default' : 'accepted outside production only';
    warnings.push(`JWT_SECRET ${problem}; ${fallback}. Never do this in production.`);
    jwtSecret ??= DEVELOPMENT_JWT_SECRET;
  }
  return {
    config: {
      env: valid.NODE_ENV,
      host: valid.HOST,
      port: valid.PORT,
      logLevel: valid.LOG_LEVEL,
      database: valid.DATABASE_URL
        ? ({
            kind: 'postgres',
            url: valid.DATABASE_URL,
            poolSize: valid.DATABASE_POOL_SIZE,
            // Off only behind a pooler that cannot keep named statements per client (PgBouncer before 1.21).
            ...(valid.DATABASE_PREPARED_STATEMENTS ? {} : { preparedStatements: false }),
          } as PostgresConfig)
        : ({ kind: 'pglite', dataDir: valid.DATA_DIR } as const),
      migrateOnStart: valid.MIGRATE_ON_START,
      auth: {
        jwtSecret,
        accessTokenTtl: valid.ACCESS_TOKEN_TTL,
        refreshTokenTtl: valid.REFRESH_TOKEN_TTL,
        rateLimitMax: valid.AUTH_RATE_LIMIT_MAX,
        rateLimitWindowSeconds: valid.AUTH_RATE_LIMIT_WINDOW,
      },
      // Without Redis each process counts on its own, so N instances allow N times the limit.
      rateLimitStore: valid.REDIS_URL
        ? ({ kind: 'redis', url: valid.REDIS_URL, keyPrefix: valid.REDIS_KEY_PREFIX } as const)
        : ({ kind: 'memory' } as const),
      idempotencyKeyTtlSeconds: valid.IDEMPOTENCY_KEY_TTL,
      trustProxy: parseTrustProxy(valid.TRUST_PROXY),
      corsOrigins: parseOrigins(valid.CORS_ORIGINS),
      jobs: {
        workersInProcess: valid.WORKERS_IN_PROCESS,
        timeoutSeconds: valid.JOB_TIMEOUT,
        pollIntervalSeconds: valid.JOB_POLL_INTERVAL,
      },
      exports: { ttlSeconds: valid.EXPORT_TTL },
      // Tracing is on only with a collector to send spans to (OTLP over HTTP, JSON).
      tracing: valid.OTEL_EXPORTER_OTLP_ENDPOINT
        ? { endpoint: valid.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: valid.OTEL_SERVICE_NAME }
        : undefined,
    },
    warnings,
  };
}

/** For the process shells: a configuration problem (or a data folder another process holds) is one line, then exit 1. */
export function exitOnConfigError(name: string, error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`${name}: ${error.message}`);
  process.exit(1);
}

/** For the process shells: the configuration from the environment (and a `.env` file in the working directory). */
export function loadConfigOrExit(name: string): ReturnType<typeof loadConfig> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadConfig();
  } catch (error) {
    exitOnConfigError(name, error);
  }
}

export type Config = ReturnType<typeof loadConfig>['config'];
export type DatabaseConfig = Config['database'];
export type JobsConfig = Config['jobs'];
export type TracingConfig = NonNullable<Config['tracing']>;
