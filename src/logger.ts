/**
 * Logger options for Fastify's pino: one JSON object per line (each request's lines carry its
 * `reqId`), secrets redacted wherever they could appear, and pino-pretty only for a developer
 * watching a terminal (it is a devDependency, never loaded in production).
 */
import type { FastifyServerOptions } from 'fastify';
import pino from 'pino';
import type { Config } from './config.js';

/** Field names whose values must never reach a log line, whatever object they sit in. */
const SECRET_FIELDS = ['password', 'token', 'access_token', 'refresh_token', 'authorization', 'cookie'];

/** Where a secret field may sit in a log object: at the top level or in a logged body or token set. */
const SECRET_CONTAINERS = ['', 'body.', 'req.body.', 'tokens.'];

/**
 * pino `redact` paths: the request and response headers Fastify could log, and the secret fields
 * wherever this code base could log them. Fastify does not log bodies; this is the net for anyone
 * who logs one by hand. Exact paths, not wildcards: redaction runs on every log line, and a
 * wildcard makes pino walk every object it logs.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SECRET_CONTAINERS.flatMap((container) => SECRET_FIELDS.map((field) => `${container}${field}`)),
];

let stdout: pino.DestinationStream | undefined;

/**
 * Standard output, written in batches: a line waits until 4 KiB have gathered or for at most one
 * second, and pino flushes what is left when the process exits, instead of a write call per
 * request. One per process.
 */
function bufferedStdout(): pino.DestinationStream {
  stdout ??= pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 1000 });
  return stdout;
}

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
      : { stream: bufferedStdout() }),
  };
}
