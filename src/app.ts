/**
 * The application: Fastify with its plugins (one per concern) and then its routes. The server
 * and the tests build the same app from a validated configuration.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/client.js';
import { ApiError } from './errors.js';
import { loggerOptions } from './logger.js';
import accessLogPlugin from './plugins/access-log.js';
import authPlugin from './plugins/auth.js';
import databasePlugin from './plugins/database.js';
import errorsPlugin, { answerClientError, sendProblem, toApiError } from './plugins/errors.js';
import idempotencyPlugin from './plugins/idempotency.js';
import jobsPlugin from './plugins/jobs.js';
import jsonBodyPlugin from './plugins/json-body.js';
import metricsPlugin from './plugins/metrics.js';
import openapiPlugin from './plugins/openapi.js';
import pressurePlugin, { type PressureOptions } from './plugins/pressure.js';
import rateLimitPlugin from './plugins/rate-limit.js';
import securityPlugin from './plugins/security.js';
import validationPlugin from './plugins/validation.js';
import operationRoutes from './routes/operations.js';
import v1Routes from './routes/v1/index.js';
import { assertAcceptable } from './routes/v1/negotiation.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

export interface BuildOptions {
  /** An already open database; the caller closes it. Otherwise the app opens (and migrates) its own. */
  database?: DatabaseHandle;
  /** Overrides for Fastify's logger option (tests pass a stream or false). */
  logger?: FastifyServerOptions['logger'];
  /** Load-shedding limits, over the defaults of src/plugins/pressure.ts. */
  pressure?: PressureOptions;
}

export const BODY_LIMIT_BYTES = 1024 * 1024;
export const HANDLER_TIMEOUT_MS = 8000;

// A client's X-Request-Id is kept only when it is short and plain, so it is safe to log and echo.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * A URL whose path cannot be decoded matches no route, so no hook runs; under /v1 the API's
 * order still holds (406, then 401 on protected paths) before the 400 for the path itself.
 */
async function answerUndecodableUrl(request: FastifyRequest, reply: FastifyReply) {
  let error = new ApiError(400, 'validation_error', 'The request URL could not be decoded.');
  if (request.url.startsWith('/v1/')) {
    try {
      assertAcceptable(request);
      if (!request.url.startsWith('/v1/auth/')) {
        request.server.verifyAccessToken(request);
        await request.server.requireActiveSession(request);
      }
    } catch (thrown) {
      error = toApiError(thrown as FastifyError);
    }
  }
  return sendProblem(request, reply, error);
}

export async function buildApp(config: Config, options: BuildOptions = {}) {
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config),
    genReqId: requestIdOf,
    // The access-log plugin writes one line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // A URL that cannot be decoded never reaches a route or hook: answer it as a problem too.
    frameworkErrors: (_error, request, reply) => answerUndecodableUrl(request, reply),
    // Nor does a request that Node's HTTP parser refuses (malformed, or headers over the limit).
    clientErrorHandler: answerClientError,
    requestIdHeader: false,
    trustProxy: config.trustProxy,
    bodyLimit: BODY_LIMIT_BYTES,
    // Bounded time for a whole request, so slow clients cannot hold connections forever.
    requestTimeout: 30_000,
    // Bounded time to answer: work stuck on an unreachable database ends as a 503 problem, not a hang.
    handlerTimeout: HANDLER_TIMEOUT_MS,
    connectionTimeout: 60_000,
    // While closing, the pressure plugin answers new requests with a problem+json 503 instead.
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', config);
  // Loaded only when tracing is on, so that with it off none of OpenTelemetry is even loaded.
  const telemetry = config.tracing
    ? await (await import('./plugins/tracing.js')).startTracing(app, config.tracing)
    : undefined;
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  await app.register(accessLogPlugin);
  await app.register(errorsPlugin);
  await app.register(jsonBodyPlugin);
  await app.register(validationPlugin);
  await app.register(securityPlugin, { corsOrigins: config.corsOrigins });
  await app.register(databasePlugin, {
    database: config.database,
    migrate: config.migrateOnStart,
    ...(options.database ? { handle: options.database } : {}),
    ...(telemetry ? { telemetry } : {}),
  });
  // After the database: opening and migrating it blocks the event loop, which is not overload.
  await app.register(pressurePlugin, options.pressure ?? {});
  await app.register(metricsPlugin);
  await app.register(rateLimitPlugin, { store: config.rateLimitStore });
  await app.register(authPlugin, { auth: config.auth });
  await app.register(idempotencyPlugin, { ttlSeconds: config.idempotencyKeyTtlSeconds });
  await app.register(openapiPlugin);
  await app.register(jobsPlugin, { jobs: config.jobs, ...(telemetry ? { telemetry } : {}) });

  await app.register(operationRoutes);
  await app.register(v1Routes, { prefix: '/v1' });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
