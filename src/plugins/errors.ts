/**
 * The one error renderer: every 4xx and 5xx, thrown by a route, a plugin or Fastify itself
 * (validation, 404, 405, 413, 415, malformed JSON), leaves as an RFC 9457 problem+json body.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { ApiError, methodNotAllowed, notFound, serviceUnavailable, storageFull, validationError } from '../errors.js';
import {
  NON_BLANK_STORABLE_TEXT,
  type ProblemBody,
  type ProblemCodeValue,
  STORABLE_TEXT,
  type ValidationIssueBody,
} from '../schemas/common.js';
import { SECURITY_HEADERS } from './security.js';

const CODE_BY_STATUS: Record<number, ProblemCodeValue> = {
  400: 'validation_error',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  // Header fields over Node's size limit: the nearest code of the contract's closed list.
  431: 'payload_too_large',
  503: 'service_unavailable',
};

// SQLSTATE classes and driver codes meaning "the database cannot be reached right now".
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]|53300)/;
const UNAVAILABLE_DRIVER_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
]);

/** True when the error, or an error it wraps (Drizzle wraps the driver's), has a code that passes. */
function hasCode(error: unknown, passes: (code: string) => boolean): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && passes(code)) return true;
    current = current.cause;
  }
  return false;
}

/** True when the error (or an error it wraps, e.g. Drizzle's query error) is a lost database. */
export const isDatabaseUnavailable = (error: unknown) =>
  hasCode(error, (code) => UNAVAILABLE_DRIVER_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code));

/** SQLSTATE 53100: the database's disk is full (PostgreSQL's and PGlite's errors alike carry it). */
export const isDiskFull = (error: unknown) => hasCode(error, (code) => code === '53100');

type AjvError = NonNullable<FastifyError['validation']>[number];

/** A JSON Pointer to the failing value: for a missing or unknown field, the field itself. */
function issuePath(error: AjvError): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const field = params.missingProperty ?? params.additionalProperty;
  const escaped = field?.replace(/~/g, '~0').replace(/\//g, '~1');
  return escaped === undefined ? error.instancePath : `${error.instancePath}/${escaped}`;
}

/** Ajv's message, in a client's words where Ajv's own would leak schema internals. */
function issueMessage(error: AjvError): string {
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'pattern') {
    const { pattern } = error.params as { pattern?: string };
    // The validators run with `verbose`, so the failing value is at hand to say which rule it broke.
    const { data } = error as AjvError & { data?: unknown };
    const blank = typeof data === 'string' && !/\S/.test(data);
    if (pattern === NON_BLANK_STORABLE_TEXT && blank) return 'must not be blank';
    if (pattern === NON_BLANK_STORABLE_TEXT || pattern === STORABLE_TEXT) {
      return 'must not contain U+0000 or unpaired surrogates';
    }
  }
  return error.message ?? 'is invalid';
}

/** The failed fields of one part of the request (`body`, `querystring`, …) as a 400. */
function toValidationError(validation: AjvError[], context: string): ApiError {
  // One entry per failed field (an empty name fails minLength and the not-blank pattern): the first.
  const byPath = new Map<string, ValidationIssueBody>();
  for (const issue of validation) {
    const path = issuePath(issue);
    if (byPath.has(path)) continue;
    byPath.set(path, { path, message: issueMessage(issue) });
  }
  const issues = [...byPath.values()];
  const detail = issues.map((issue) => `${context}${issue.path} ${issue.message}`).join('; ');
  return validationError(detail, issues);
}

/** A 4xx with the code of its status (a status the contract names no code for counts as invalid input). */
const clientFault = (status: number, detail: string) =>
  new ApiError(status, CODE_BY_STATUS[status] ?? 'validation_error', detail);

/** Normalises anything thrown into an ApiError; unknown errors become a 500 that reveals nothing. */
export function toApiError(error: FastifyError | ApiError): ApiError {
  if (error instanceof ApiError) return error;
  if (error.validation) return toValidationError(error.validation, error.validationContext ?? 'body');
  if (isDatabaseUnavailable(error)) return serviceUnavailable();
  if (isDiskFull(error)) return storageFull();
  const status = error.statusCode;
  if (status && status >= 400 && status < 500) return clientFault(status, error.message);
  if (status === 503) return serviceUnavailable(error.message);
  return new ApiError(500, 'internal_error', 'An unexpected error occurred. It has been logged.');
}

/**
 * What to log for a failed request. A Drizzle query error's message lists the query's parameters
 * (emails, password and token hashes): log the driver's error and the SQL text, never the values.
 * (Drizzle always wraps the error the driver threw, so there is a cause to log.)
 */
function loggable(error: unknown): { err: unknown; query?: string } {
  if (error instanceof DrizzleQueryError) return { err: error.cause, query: error.query };
  return { err: error };
}

/** The RFC 9457 body of an error; its `instance` is the request id. */
function problemOf(error: ApiError, requestId: string): ProblemBody {
  return {
    type: 'about:blank',
    title: STATUS_CODES[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    code: error.code,
    instance: requestId,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: ApiError) {
  const body = problemOf(error, request.id);
  return (
    reply
      .code(error.status)
      .headers(error.headers)
      // Also here, for errors raised before the request hooks that set these ran (an undecodable URL).
      .header('x-request-id', request.id)
      .header('x-content-type-options', 'nosniff')
      .type('application/problem+json')
      .send(body)
  );
}

/** Why Node's HTTP parser refused a request, by its error code. */
function clientErrorOf(code: string | undefined): ApiError {
  if (code === 'HPE_HEADER_OVERFLOW') return clientFault(431, 'The request header fields are too large.');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return clientFault(408, 'The request did not arrive in time.');
  return clientFault(400, 'The request is not valid HTTP.');
}

/**
 * Fastify's clientErrorHandler. A request that Node's HTTP parser refuses (a malformed request
 * line or header, header fields over the size limit, a request too slow to arrive) never becomes
 * a request, so no hook or error handler sees it. It still gets a problem+json body with a request
 * id and the security headers, and then the connection closes, as with Node's own handler.
 * Fastify calls it with the app as `this`.
 */
export function answerClientError(this: FastifyInstance, error: ConnectionError, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal = clientErrorOf(error.code);
  const requestId = randomUUID();
  const problem = problemOf(refusal, requestId);
  const body = JSON.stringify(problem);
  const headers = {
    'x-request-id': requestId,
    ...SECURITY_HEADERS,
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  // The parser's code only: the error also holds the raw bytes received, bearer tokens included.
  this.log.info({ reqId: requestId, status: refusal.status, reason: error.code }, refusal.message);
  if (socket.writable) {
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(`HTTP/1.1 ${refusal.status} ${problem.title}\r\n${head.join('')}\r\n${body}`);
  }
  socket.destroy(error);
}

export default fp(
  async function errors(app) {
    // A second router that only knows which methods each path has, to tell 405 from 404.
    const knownRoutes = FindMyWay();
    app.addHook('onRoute', (route) => {
      const methods = ([] as string[]).concat(route.method).map((method) => method.toUpperCase() as HTTPMethod);
      for (const method of methods) {
        if (!knownRoutes.hasRoute(method, route.url)) knownRoutes.on(method, route.url, () => {});
      }
    });

    app.setNotFoundHandler((request, reply) => {
      // The path alone: the query string takes no part in routing.
      const path = request.url.replace(/\?.*/s, '');
      const allowed = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((method) =>
        knownRoutes.find(method as HTTPMethod, path),
      );
      // A route of this very method that still called the not-found handler (a missing static file
      // under /docs) found nothing: that is a 404, not a 405 whose Allow lists the method itself.
      const error =
        allowed.length > 0 && !allowed.includes(request.method)
          ? methodNotAllowed(request.method, allowed)
          : notFound(`${path}`);
      return sendProblem(request, reply, error);
    });

    app.setErrorHandler(async (error: FastifyError | ApiError, request, reply) => {
      let apiError = toApiError(error);
      // Authentication comes first: a route that checks the session inside its own statement
      // (sessionCheckedInQuery) has not checked it yet when a request fails validation, and its
      // statement finds nothing for a revoked session, so a revoked session must get its 401 here
      // rather than the 4xx of its input or the 404/412 of its empty outcome.
      if (
        apiError.status >= 400 &&
        apiError.status < 500 &&
        apiError.status !== 401 &&
        request.routeOptions.config?.sessionCheckedInQuery &&
        request.user
      ) {
        apiError = await app.requireActiveSession(request).then(
          () => apiError,
          (sessionError: ApiError) => sessionError,
        );
      }
      if (apiError.status >= 500) {
        request.log.error(loggable(error), 'request failed');
      } else {
        request.log.info({ status: apiError.status, code: apiError.code }, apiError.message);
      }
      return sendProblem(request, reply, apiError);
    });
  },
  { name: 'errors', fastify: '5.x' },
);
