/**
 * Logger options for Fastify's pino: one JSON object per line (each request's lines carry its
 * `reqId`), secrets redacted wherever they could appear, and pino-pretty only for a developer
 * watching a terminal (it is a devDependency, never loaded in production).
 */
import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

/** Field names whose values must never reach a log line, whatever object they sit in. */
const SECRET_FIELDS = ['password', 'token', 'access_token', 'refresh_token', 'authorization', 'cookie'];

/**
 * pino `redact` paths: the request and response headers Fastify could log, and the secret
 * fields at the top level of a log object or up to two levels down (e.g. `body.password`,
 * `req.body.password`, `tokens.refresh_token`). Fastify does not log bodies; this is the net
 * for anyone who logs one by hand.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

export type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>;

export interface LoggerChoices {
  /** Human-readable output through pino-pretty; defaults to "development, on a terminal". */
  pretty?: boolean;
}

/** Fastify's `logger` option for the given configuration. */
export function loggerOptions(
  config: Pick<Config, 'env' | 'logLevel'>,
  { pretty = config.env === 'development' && process.stdout.isTTY === true }: LoggerChoices = {},
): LoggerOptions {
  return {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}
