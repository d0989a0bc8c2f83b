/**
 * Configuration: the environment schema and its loader. The environment is read here once,
 * validated, and handed to the app as a typed object; nothing else reads process.env.
 */
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

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
  DATA_DIR: Type.String({ minLength: 1, default: './data/pglite' }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  ACCESS_TOKEN_TTL: Type.Integer({ minimum: 60, maximum: 3600, default: 900 }),
  REFRESH_TOKEN_TTL: Type.Integer({ minimum: 300, maximum: 90 * 24 * 3600, default: 30 * 24 * 3600 }),
  AUTH_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 10 }),
  AUTH_RATE_LIMIT_WINDOW: Type.Integer({ minimum: 1, default: 60 }),
  TRUST_PROXY: Type.String({ default: '' }),
  CORS_ORIGINS: Type.String({ default: '' }),
});

export type Env = Static<typeof EnvSchema>;

/** A configuration problem, reported as one line before the process exits. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const splitList = (value: string) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

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
  const env = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw));
  const error = Value.Errors(EnvSchema, env).First();
  if (error) {
    const name = error.path.replace(/^\//, '');
    throw new ConfigError(`invalid environment variable ${name}=${JSON.stringify(raw[name] ?? '')}: ${error.message}`);
  }
  const valid = env as Env;
  const warnings: string[] = [];
  let jwtSecret = valid.JWT_SECRET;
  if (jwtSecret === undefined || Buffer.byteLength(jwtSecret) < MIN_SECRET_BYTES) {
    const problem = jwtSecret === undefined ? 'is not set' : `is shorter than ${MIN_SECRET_BYTES} bytes`;
    if (valid.NODE_ENV === 'production') {
      throw new ConfigError(`JWT_SECRET ${problem}: production needs a random secret of at least ${MIN_SECRET_BYTES} bytes`);
    }
    warnings.push(`JWT_SECRET ${problem}; using a development default. Never do this in production.`);
    jwtSecret ??= DEVELOPMENT_JWT_SECRET;
  }
  const trustProxy = splitList(valid.TRUST_PROXY);
  return {
    config: {
      env: valid.NODE_ENV,
      host: valid.HOST,
      port: valid.PORT,
      logLevel: valid.LOG_LEVEL,
      database: valid.DATABASE_URL
        ? ({ kind: 'postgres', url: valid.DATABASE_URL, poolSize: valid.DATABASE_POOL_SIZE } as const)
        : ({ kind: 'pglite', dataDir: valid.DATA_DIR } as const),
      auth: {
        jwtSecret,
        accessTokenTtl: valid.ACCESS_TOKEN_TTL,
        refreshTokenTtl: valid.REFRESH_TOKEN_TTL,
        rateLimitMax: valid.AUTH_RATE_LIMIT_MAX,
        rateLimitWindowSeconds: valid.AUTH_RATE_LIMIT_WINDOW,
      },
      // "true" trusts every proxy; otherwise a list of addresses or CIDR ranges; empty trusts none.
      trustProxy: trustProxy.length === 1 && trustProxy[0] === 'true' ? true : trustProxy.length > 0 ? trustProxy : false,
      corsOrigins: splitList(valid.CORS_ORIGINS),
    },
    warnings,
  };
}

export type Config = ReturnType<typeof loadConfig>['config'];
export type DatabaseConfig = Config['database'];
